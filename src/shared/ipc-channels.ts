/** The invoke channels, as a plain list: preload (sandboxed, no dependencies) filters on it. */
export const IPC_INVOKE_CHANNELS = ['app:flushed', 'app:info', 'engine:connect', 'engine:restart', 'engine:status', 'file:saveImage', 'file:chooseImportSource'] as const
export type IpcChannelName = (typeof IPC_INVOKE_CHANNELS)[number]
