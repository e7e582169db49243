import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'
import { ROOT } from './support/paths'

// The desktop workflow cannot run here: check it against GitHub's workflow schema (SchemaStore's,
// kept in test/fixtures/schemas) and check that it does what the desktop layer needs.
const schema = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/schemas/github-workflow.json'), 'utf8'))
const ajv = new Ajv({ allErrors: true, strict: false })
addFormats(ajv)
const validate = ajv.compile(schema)
const workflows = join(ROOT, '.github', 'workflows')

describe('GitHub workflows', () => {
  it.each(readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f)))('%s is valid against the workflow schema', (file) => {
    const workflow = parse(readFileSync(join(workflows, file), 'utf8'))
    expect(validate(workflow), ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true)
  })

  it('the schema check is real: a broken workflow is refused', () => {
    expect(validate({ on: 'push', jobs: { build: { 'runs-on': 'ubuntu-latest', steps: [{ uses: 'a/b@v1', run: 'both is invalid' }] } } })).toBe(false)
    expect(validate({ on: 'push', jobs: { build: { steps: [{ run: 'x' }] } } })).toBe(false) // no runs-on
  })

  it('desktop.yml: Linux under xvfb, macOS, Windows; build, the _electron specs, the four installers as artifacts', () => {
    const workflow = parse(readFileSync(join(workflows, 'desktop.yml'), 'utf8'))
    const job = workflow.jobs.desktop
    const matrix = job.strategy.matrix.include as { os: string; installers: string }[]
    expect(matrix.map((m) => m.os).sort()).toEqual(['macos-latest', 'ubuntu-latest', 'windows-latest'])
    expect(matrix.map((m) => m.installers).join(' ')).toMatch(/--linux AppImage deb.*--mac dmg.*--win nsis/)
    const runs = (job.steps as { run?: string; if?: string; uses?: string }[]).filter((s) => s.run)
    const commands = runs.map((s) => s.run).join('\n')
    for (const step of ['npm ci', 'npm run electron:download', 'npm run build', '--publish never']) expect(commands).toContain(step)
    const linuxE2e = runs.find((s) => s.if === "runner.os == 'Linux'" && s.run!.includes('playwright'))
    expect(linuxE2e?.run).toMatch(/^xvfb-run .*npx playwright test e2e\/electron.spec.ts --project desktop$/)
    const uploads = (job.steps as { uses?: string; with?: { path?: string } }[]).filter((s) => s.uses?.startsWith('actions/upload-artifact@'))
    expect(uploads[0].with!.path).toMatch(/AppImage[\s\S]*\.deb[\s\S]*\.dmg[\s\S]*\.exe/)
  })
})
