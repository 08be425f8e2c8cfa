// Names of every request channel and event of the one IPC contract. Kept free of dependencies so the
// sandboxed preload can import it (a sandboxed preload may only require 'electron').
// contract.ts pairs each name with its argument schema and result type; a channel missing there
// is a type error.

export const CHANNELS = [
  'app:info',
  'project:openDemo',
  'project:open',
  'project:current',
  'project:create',
  'project:list',
  'project:remove',
  'settings:get',
  'settings:set',
  'graph:entities',
  'graph:entity',
  'graph:neighbourhood',
  'images:thumbnail',
  'jobs:start',
  'jobs:cancel',
  'jobs:list',
  'verdicts:record',
  'verdicts:list',
  'curation:train',
  'curation:accept',
  'curation:rounds',
  'curation:queue',
  'curation:rollback',
  'curation:restore',
  'curation:export',
] as const;

export const EVENTS = ['jobs:progress', 'jobs:done', 'jobs:error', 'jobs:cancelled', 'project:opened'] as const;

export type ChannelName = (typeof CHANNELS)[number];
export type EventName = (typeof EVENTS)[number];

/** The one Electron IPC channel that carries every event to the renderer. */
export const EVENT_IPC_CHANNEL = 'mmea:event';
