// Peers: handshake, frames and sync sessions (Protocol/SPEC.md part 2).
