/**
 * Image decoders compared: today's pngjs + jpeg-js against sharp (libvips) as the engine now
 * uses it (src/engine/image-decode.ts). Speed and peak memory on photo-sized images, each decode
 * in a fresh process so its peak RSS is its own; which fixture formats each one reads; and the
 * 639-byte JPEG that claims 7000x7000. Prints JSON and writes bench/decoders.json.
 *
 *   npx tsx bench/decoders.ts
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { PNG } from 'pngjs'
import jpeg from 'jpeg-js'
import sharp from 'sharp'
import { decodeImageFile } from '../src/engine/image-decode'

const ROOT = join(__dirname, '..')
const FIXTURES = join(ROOT, 'test', 'fixtures', 'images')
type Decoder = 'pngjs+jpeg-js' | 'sharp'

/** Today's decoder, as src/engine/image-files.ts had it before this change. */
function decodeOld(bytes: Uint8Array): { width: number; height: number; data: ArrayLike<number> } {
  if (bytes[0] === 0x89) return PNG.sync.read(Buffer.from(bytes))
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 50, maxMemoryUsageInMB: 1024 })
  throw new Error('not a PNG or JPEG')
}

async function child(decoder: Decoder, file: string): Promise<void> {
  const bytes = new Uint8Array(readFileSync(file))
  const baseline = process.memoryUsage().rss
  const start = performance.now()
  let outcome: Record<string, unknown>
  try {
    const image = decoder === 'sharp' ? await decodeImageFile(bytes, relative(ROOT, file)) : decodeOld(bytes)
    outcome = { ok: true, width: image.width, height: image.height, ...(image.width * image.height < 1000 ? { seenAs: seenAs(image) } : {}) }
  } catch (error) {
    outcome = { ok: false, error: (error as Error).message.slice(0, 160) }
  }
  const ms = performance.now() - start
  const peak = process.resourceUsage().maxRSS * 1024
  console.log(JSON.stringify({ ...outcome, ms: Math.round(ms), peakRssMB: Math.round(peak / 2 ** 20), aboveBaselineMB: Math.round((peak - baseline) / 2 ** 20) }))
}

/** The fixtures are 6x4, dark left half, light right half: does the decode show that? */
function seenAs(image: { width: number; height: number; data: ArrayLike<number> }): string {
  if (image.width !== 6 || image.height !== 4) return `wrong: ${image.width}x${image.height} (orientation not applied?)`
  const red = (x: number) => image.data[(1 * image.width + x) * 4]
  const [left, right] = [red(0), red(5)]
  return left < right - 100 ? 'right' : `wrong: left ${left}, right ${right}`
}

function measure(decoder: Decoder, file: string): Record<string, unknown> {
  const run = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', decoder, file], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 })
  const last = run.stdout.trim().split('\n').pop()
  if (run.status !== 0 || !last) return { ok: false, error: `exit ${run.status ?? run.signal}: ${run.stderr.split('\n').slice(-3).join(' ').slice(0, 160)}` }
  return JSON.parse(last)
}

async function photo(dir: string, width: number, height: number, format: 'jpeg' | 'png'): Promise<string> {
  // smooth noise: compresses like a photo, not like a flat test card
  const file = join(dir, `photo-${width}x${height}.${format === 'jpeg' ? 'jpg' : 'png'}`)
  const image = sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).blur(2)
  await (format === 'jpeg' ? image.jpeg({ quality: 90 }) : image.png({ compressionLevel: 6 })).toFile(file)
  return file
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eqm-decoders-'))
  const photos = [
    { name: '12 MP JPEG (4000x3000, q90)', file: await photo(dir, 4000, 3000, 'jpeg'), megapixels: 12 },
    { name: '12 MP PNG (4000x3000)', file: await photo(dir, 4000, 3000, 'png'), megapixels: 12 },
    { name: '48 MP JPEG (8000x6000, q90)', file: await photo(dir, 8000, 6000, 'jpeg'), megapixels: 48 }
  ]
  const decoders: Decoder[] = ['pngjs+jpeg-js', 'sharp']
  const speed = photos.map((p) => ({
    image: p.name,
    decodedMB: Math.round((p.megapixels * 1e6 * 4) / 2 ** 20),
    ...Object.fromEntries(decoders.map((d) => [d, measure(d, p.file)]))
  }))
  const formats = readdirSync(FIXTURES)
    .filter((f) => !f.startsWith('bomb'))
    .sort()
    .map((f) => ({
      fixture: f,
      ...Object.fromEntries(decoders.map((d) => {
        const r = measure(d, join(FIXTURES, f))
        return [d, r.ok ? `reads, ${r.seenAs}` : `fails: ${r.error}`]
      }))
    }))
  const bomb = Object.fromEntries(decoders.map((d) => [d, measure(d, join(FIXTURES, 'bomb-7000x7000.jpg'))]))
  const report = {
    what: 'image decoders: pngjs + jpeg-js (before) vs sharp/libvips (chosen); each decode in a fresh Node process',
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, sharp: sharp.versions.sharp, libvips: sharp.versions.vips },
    date: new Date().toISOString(),
    speed,
    formats,
    jpegBomb: { file: 'test/fixtures/images/bomb-7000x7000.jpg (639 bytes, header claims 7000x7000)', ...bomb }
  }
  const text = JSON.stringify(report, null, 2)
  writeFileSync(join(__dirname, 'decoders.json'), text + '\n')
  console.log(text)
}

if (process.argv[2] === '--child') void child(process.argv[3] as Decoder, process.argv[4])
else void main()
