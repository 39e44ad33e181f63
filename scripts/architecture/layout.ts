// Where this repository's code lives, as the architecture rules need to know it.
import type { Layout } from './rules.js';

export const PROJECT_LAYOUT: Layout = {
  scanDirs: ['cli', 'daemon', 'keys', 'test', 'bench', 'demo', 'scripts'],
  // What ships in dist/ (see tsconfig.build.json); its non-test files may import only each other.
  productDirs: ['cli', 'daemon', 'keys'],
  // The daemon's folders are its layers: daemon/<folder> may not import in a circle.
  layeredDir: 'daemon',
};
