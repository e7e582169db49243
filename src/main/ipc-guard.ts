import { describeZodError } from '../shared/manifest'
import { ipcInvokeSchemas, type IpcChannel, type IpcInvokeContract } from '../shared/ipc-contract'

/** The parts of Electron's IpcMainInvokeEvent the guard reads. */
export interface InvokeEvent {
  sender: { id: number }
  senderFrame: { url: string } | null
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void
}

export type Handler<C extends IpcChannel> = (
  params: IpcInvokeContract[C]['params'],
  event: InvokeEvent
) => Promise<IpcInvokeContract[C]['result']> | IpcInvokeContract[C]['result']

export type HandlerMap = { [C in IpcChannel]: Handler<C> }

/**
 * Decides whether an IPC message comes from our own window showing our own page. A
 * compromised or navigated frame (another origin, an iframe) is refused.
 */
export function isTrustedSender(event: InvokeEvent, trustedWebContentsIds: ReadonlySet<number>, trustedUrl: (url: string) => boolean): boolean {
  if (!trustedWebContentsIds.has(event.sender.id)) return false
  const url = event.senderFrame?.url
  return typeof url === 'string' && trustedUrl(url)
}

/**
 * Registers every handler behind the sender guard and its params schema (GitHub Desktop's
 * safeListener idea). HandlerMap makes a missing or mistyped handler a compile error.
 */
export function registerHandlers(
  ipc: IpcMainLike,
  handlers: HandlerMap,
  trust: { webContentsIds: ReadonlySet<number>; url: (url: string) => boolean }
): void {
  for (const channel of Object.keys(handlers) as IpcChannel[]) {
    const schema = ipcInvokeSchemas[channel]
    const handler = handlers[channel] as (params: unknown, event: InvokeEvent) => unknown
    ipc.handle(channel, async (event, ...args) => {
      if (!isTrustedSender(event, trust.webContentsIds, trust.url)) {
        throw new Error(`${channel}: refused, the sender is not the EqM Studio window`)
      }
      const parsed = schema.safeParse(args[0] ?? {})
      if (!parsed.success) throw new Error(`${channel}: ${describeZodError(parsed.error)}`)
      return handler(parsed.data, event)
    })
  }
}
