"""Importers for published EqM checkpoints and the SD-VAE (eqm import / eqm import-vae)."""
