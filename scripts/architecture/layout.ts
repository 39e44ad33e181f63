// Where this repository's code lives, as the architecture rules need to know it.
import type { Layout } from './rules.js';

export const PROJECT_LAYOUT: Layout = {
  scanDirs: ['cli', 'daemon', 'keys', 'test', 'bench', 'demo', 'scripts'],
  // What ships in dist/ (see tsconfig.build.json); its non-test files may import only each other.
  productDirs: ['cli', 'daemon', 'keys'],
  // The daemon's folders are its layers: daemon/<folder> may not import in a circle.
  layeredDir: 'daemon',
  sideDoors: {
    'keys/age/recipient-syntax.ts':
      'cli/recipient-check.ts checks recipients in every command module the CLI loads at start; keys/index.ts would load age-encryption and Vault there',
    'daemon/config/duration.ts':
      'cli/daemon-client.ts (status, reconcile) parses --timeout at CLI start; the config door loads the whole DaemonConfig parser',
    'daemon/git/credentials.ts': "the CLI's status/reconcile strip URL userinfo at start; the git door loads isomorphic-git",
    'daemon/writeback/types.ts': 'a spec type config/ imports (the rule in daemon/config/types.ts): types only',
    'daemon/decrypt/types.ts': 'the validated `decryption` spec config/ imports (the rule in daemon/config/types.ts): types only',
    'daemon/cluster-key/types.ts': 'the validated `clusterKey` spec config/ imports (the rule in daemon/config/types.ts): types only',
    'daemon/notify/types.ts':
      'the validated `notifications` / `commitStatus` specs config/ imports (the rule in daemon/config/types.ts): types only',
    'daemon/render/types.ts': 'the validated `render` spec config/ imports (the rule in daemon/config/types.ts): types only',
    'daemon/render/helm/types.ts':
      'the validated `helm` spec config/ imports (the rule in daemon/config/types.ts): types only; the render door loads the renderers',
    'daemon/render/remote.ts':
      'a pure validator config/ imports (allowRemoteHosts entries); the render door would load the renderers into config/',
    'daemon/ui/types.ts': 'the validated `ui` spec config/ imports (the rule in daemon/config/types.ts): types only',
    'daemon/writeback/message.ts':
      'a pure validator config/ imports (the rule in daemon/config/types.ts); the writeback door would load its git runtime into config/',
  },
};
