import { z } from 'zod'

/**
 * <models root>/vae/<id>/vae.json, written by `eqm import-vae`: an autoencoder that latent models
 * name by id (manifest.latent.vae).
 */
export const vaeManifestSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('vae'),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  title: z.string().min(1),
  latentChannels: z.number().int().min(1).max(64),
  /** image side / latent side */
  downscale: z.number().int().min(1).max(64),
  /** encoder output = posterior mean x scale; the decoder divides by it first */
  scale: z.number().positive(),
  imageRange: z.tuple([z.number(), z.number()]),
  files: z.object({
    encoder: z.string().regex(/^[A-Za-z0-9._-]+$/),
    decoder: z.string().regex(/^[A-Za-z0-9._-]+$/)
  }),
  /** cheap live-frame preview: rgb = matrix x latent + bias per latent position (least squares against the decoder) */
  preview: z.object({
    matrix: z.array(z.array(z.number())).length(3),
    bias: z.array(z.number()).length(3),
    rmse: z.number().min(0),
    fittedOn: z.string()
  }),
  provenance: z.record(z.string(), z.unknown())
})
export type VaeManifest = z.infer<typeof vaeManifestSchema>
