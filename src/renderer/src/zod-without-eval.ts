import { z } from 'zod'

// The page's CSP has no 'unsafe-eval': zod must neither probe for it (new Function, which the
// browser reports as a violation) nor compile parsers. Imported first by main.tsx.
z.config({ jitless: true })
