import { join } from 'node:path'

export const ROOT = join(__dirname, '..', '..')
export const FIXTURE_MODELS = join(ROOT, 'test', 'fixtures', 'models')
export const SHIPPED_MODELS = join(ROOT, 'models')
