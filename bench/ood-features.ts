import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Engine } from '../src/engine/engine'
import { featureSpec } from '../src/engine/ood'
import { addRangeCheckInputs, oodFeatures, reorientedInputs, scoreInputs } from '../src/engine/ood-features'
import { CENTRE_SCORE, type RangeCheck } from '../src/engine/ood-kinds'
import { ORIENTATIONS, type Orientation } from '../src/engine/ood-copies'
import { unconditionalEnergies } from '../src/engine/jobs'
import { bytesToValues } from '../src/shared/image-convert'

/**
 * OOD features of every evaluation set, computed by the engine's own code (so the
 * calibration written into the manifest is exactly what the app's OOD call computes).
 *   node out/main/ood-features.js --sets training/data-cache/ood --out training/data-cache/ood/features.json
 * The sets come from training/ood_sets.py; training/ood_eval.py turns features into tables.
 * Where the manifest names files.ood, each set also carries `pair`: the generating network's
 * rms, dot and align of the same images (same levels, seeds and noise), for mahalanobis-align-pair,
 * `reoriented`: the per-class score's features of each image's flipped and turned copies
 * (--orientations; about 5x the time of the rest), for mahalanobis-align-pair-class-orient, and
 * `stretched`: the same of each image stretched to full contrast (--stretch), for -orient-stretch,
 * and `recentred`: of each image moved to the centre (--centre), for -orient-stretch-centre.
 */
const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: 'training/data-cache/ood' },
    out: { type: 'string' },
    models: { type: 'string', default: 'models' },
    model: { type: 'string' },
    levels: { type: 'string', default: '0,0.1,0.2,0.35,0.5' },
    seeds: { type: 'string', default: '1,2' },
    /** 'false': skip the conditional features (11 + classes x seeds more model rows per image) */
    conditional: { type: 'string', default: 'true' },
    /** the orientation check's copies (score mahalanobis-align-pair-class-orient), each the whole pair and class features again; '' for none */
    orientations: { type: 'string', default: ORIENTATIONS.join(',') },
    /** the contrast check's copy (score mahalanobis-align-pair-class-orient-stretch); 'false' to skip it */
    stretch: { type: 'string', default: 'true' },
    /** the centring check's copy (score mahalanobis-align-pair-class-orient-stretch-centre); 'false' to skip it */
    centre: { type: 'string', default: 'true' }
  }
})

async function main(): Promise<void> {
  const engine = new Engine({ modelRoots: [values.models!], maxBatchRows: 64 })
  const entry = engine.model(values.model)
  // the network the app's OOD call reads (files.ood where the manifest names one)
  const networks = await engine.oodModels(entry)
  const { field, energy } = networks
  // the conditional features over every class the model knows (scores mahalanobis-cond and mahalanobis-align-pair-class)
  const classes = values.conditional === 'false' ? 0 : entry.manifest.classes.length
  const spec = { noiseLevels: values.levels!.split(',').map(Number), seeds: values.seeds!.split(',').map(Number), classes, alignClasses: classes }
  const orientations = values.orientations ? (values.orientations.split(',') as Orientation[]) : []
  const unknown = orientations.filter((o) => !ORIENTATIONS.includes(o))
  if (unknown.length) throw new Error(`unknown orientations ${unknown.join(', ')} (known: ${ORIENTATIONS.join(', ')})`)
  const rangeChecks: RangeCheck[] = [...(values.stretch !== 'false' ? ['stretch' as const] : []), ...(values.centre !== 'false' ? ['centre' as const] : [])]
  const index = JSON.parse(readFileSync(join(values.sets!, 'index.json'), 'utf8')) as { sets: { name: string; kind: string; count: number; file: string }[] }
  const size = field.sampleSize
  const out: Record<string, unknown> = { model: entry.manifest.id, noiseLevels: spec.noiseLevels, seeds: spec.seeds, classes: spec.classes, sets: {} }
  for (const set of index.sets) {
    const started = performance.now()
    const bytes = readFileSync(join(values.sets!, set.file))
    const images = Array.from({ length: set.count }, (_, i) => bytesToValues(bytes.subarray(i * size, (i + 1) * size), entry.manifest.valueRange))
    // with a generating network beside it, its features too, as the engine computes them for the pair
    // score, and the classifier's where the model has one (the classifier variant, reported apart)
    const pairScore = networks.classifier ? 'mahalanobis-align-pair-classifier' : 'mahalanobis-align-pair'
    const features = networks.generatingField ? await scoreInputs(networks, images, spec, pairScore, entry.manifest.id) : await oodFeatures(field, images, spec)
    // each image's flipped and turned copies, as the orientation check computes them (its per-class features)
    const checks = { ...featureSpec({ score: CENTRE_SCORE, ...spec }, entry.manifest), orientations }
    if (networks.generatingField && orientations.length) features.reoriented = await reorientedInputs(networks, images, checks, entry.manifest.id)
    // each image stretched to full contrast and moved to the centre, as the contrast and centring checks compute them
    if (networks.generatingField) await addRangeCheckInputs(features, rangeChecks, networks, images, checks, entry.manifest.id)
    // the explicit-energy model's unconditional energy (OOD score "energy"), where the model has one
    const energies = energy ? await unconditionalEnergies(energy, images, entry.manifest.nullClass, size, field.maxBatchRows) : undefined
    ;(out.sets as Record<string, unknown>)[set.name] = {
      kind: set.kind,
      ...features,
      ...(energies ? { energy: energies } : {})
    }
    console.error(`${set.name}: ${set.count} images, ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  const file = values.out ?? join(values.sets!, 'features.json')
  writeFileSync(file, JSON.stringify(out))
  console.error(`features written to ${file}`)
  await engine.dispose()
}

main().catch((error) => {
  console.error(`ood-features: ${(error as Error).message}`)
  process.exit(1)
})
