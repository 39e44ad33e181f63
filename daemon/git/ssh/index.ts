// The SSH transport of the git client (daemon/git): URLs, known_hosts checking, the session that
// carries git's protocol over an SSH exec channel. Import from here only.
export { checkHostKey, fingerprint, knownKeyTypes, type HostKeyVerdict } from './known-hosts.js';
export { SshTransport, type SshAuth, type SshKey } from './ssh-transport.js';
export { isSshUrl, parseSshUrl, sshDisplay, type SshUrl } from './url.js';
