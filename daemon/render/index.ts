// The door of daemon/render/: renderers of a sync's revision (Kustomize, Helm).
export * from './helm/index.js';
