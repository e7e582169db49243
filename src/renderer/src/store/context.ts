import { createContext, useContext } from 'react'
import { useStore } from 'zustand'
import type { StudioState, StudioStore } from './studio-store'
import type { EngineClient } from '../host/engine-client'
import type { Host } from '../host/connection'
import type { StoredImages } from '../history/stored-images'

export interface StudioServices {
  store: StudioStore
  client: EngineClient
  host: Host
  images: StoredImages
}

export const StudioContext = createContext<StudioServices | null>(null)

export function useServices(): StudioServices {
  const services = useContext(StudioContext)
  if (!services) throw new Error('StudioContext is missing')
  return services
}

export function useStudio<T>(selector: (state: StudioState) => T): T {
  return useStore(useServices().store, selector)
}
