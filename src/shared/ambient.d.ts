/**
 * The few globals shared/ code uses. They exist in browsers and in Node alike, but shared/
 * is compiled with neither DOM nor Node types (so it cannot lean on either runtime by
 * accident); these declarations are all it may assume.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean })
  decode(input?: ArrayBufferView | ArrayBuffer): string
}
declare function atob(data: string): string
declare function btoa(data: string): string
