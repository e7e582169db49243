// The layers of EqM Studio, one runtime per folder (docs/architecture.md). Arrows only go
// downward: main, web and cli may import the engine and shared; the engine imports shared;
// shared imports nothing of ours; the renderer and preload import shared only; nothing
// imports main. Tests (*.test.ts) may reach across to drive real parts and are exempt.
const tests = '\\.test\\.tsx?$'
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-imports-nothing-of-ours',
      comment: 'src/shared holds contracts used by every runtime: it may not lean on any of them.',
      severity: 'error',
      from: { path: '^src/shared/', pathNot: tests },
      to: { path: '^src/(engine|main|preload|renderer|web|cli)/' }
    },
    {
      name: 'shared-has-no-runtime',
      comment: 'src/shared runs in Node and in the browser: no Node built-ins, no Electron.',
      severity: 'error',
      from: { path: '^src/shared/', pathNot: tests },
      to: { dependencyTypes: ['core'] }
    },
    {
      name: 'renderer-only-shared',
      comment: 'The renderer talks to the engine through the contract, never by import.',
      severity: 'error',
      from: { path: '^src/renderer/', pathNot: tests },
      to: { path: '^src/(engine|main|preload|web|cli)/|^bench/' }
    },
    {
      name: 'renderer-no-node',
      comment: 'The renderer is a sandboxed web page: no Node built-ins, no Electron.',
      severity: 'error',
      from: { path: '^src/renderer/', pathNot: tests },
      to: { dependencyTypes: ['core'] }
    },
    {
      name: 'no-electron-outside-desktop',
      comment: 'Only main and preload are Electron; the engine, web server and CLI run on plain Node.',
      severity: 'error',
      from: { path: '^src/(engine|web|cli|shared|renderer)/|^bench/', pathNot: tests },
      to: { path: '^electron$|node_modules/electron/' }
    },
    {
      name: 'preload-only-shared',
      comment: 'The preload exposes a narrow API: it knows the contract, not the engine or main.',
      severity: 'error',
      from: { path: '^src/preload/' },
      to: { path: '^src/(engine|main|renderer|web|cli)/' }
    },
    {
      name: 'engine-imports-down-only',
      comment: 'The engine is the plain-Node core: it never imports the faces built on it.',
      severity: 'error',
      from: { path: '^src/engine/', pathNot: tests },
      to: { path: '^src/(main|preload|renderer|web|cli)/' }
    },
    {
      name: 'nothing-imports-main',
      comment: 'src/main is the Electron entry: nothing but itself imports it.',
      severity: 'error',
      from: { pathNot: `^src/main/|${tests}` },
      to: { path: '^src/main/' }
    },
    {
      name: 'faces-stay-apart',
      comment: 'The web server and the CLI are separate faces of the engine.',
      severity: 'error',
      from: { path: '^src/(web|cli)/', pathNot: tests },
      to: { path: '^src/(web|cli|renderer|preload)/', pathNot: '^src/$1/' }
    },
    {
      name: 'bench-runs-the-engine',
      comment: 'Benchmarks run the engine\'s own code (engine and shared), not the faces.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^src/(main|preload|renderer|web|cli)/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^out/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] }
  }
}
