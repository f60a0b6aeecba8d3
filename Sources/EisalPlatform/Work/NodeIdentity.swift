// Which node of the platform this process is, stable across its restarts, so a restarted node
// can take back its own job leases at once instead of waiting for them to run out.
//
// Given (`--node-id` / `EISAL_NODE_ID`): the operator promises no two live processes share it.
// Otherwise acquired: `{host}-{n}` for the lowest n whose lock file `{directory}/node-{n}.lock`
// this process can lock exclusively (flock). The kernel drops the lock when the process dies, even
// by `kill -9`, so a restarted process gets the same n back (its predecessor is certainly gone),
// and two processes sharing one data directory get different ids.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The identity of this platform node.
final class NodeIdentity: Sendable {
    /// The node id leases are recorded with.
    let id: String
    /// This process's run, random: in every lease's owner, so two processes that share a node id
    /// by mistake (two machines with one host name) never act on each other's leases.
    let run = Identifiers.random(8)
    /// The open, locked file descriptor (-1 when the id was given); closed with the identity.
    private let lockDescriptor: Int32

    private init(id: String, lockDescriptor: Int32) {
        self.id = id
        self.lockDescriptor = lockDescriptor
    }

    deinit {
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    /// The given id, or one acquired by locking the first free lock file in `directory`.
    static func acquire(configured: String?, directory: String) throws -> NodeIdentity {
        if let configured, !configured.isEmpty { return NodeIdentity(id: configured, lockDescriptor: -1) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        for n in 1 ... 1024 {
            let path = directory + "/node-\(n).lock"
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw NodeIdentityError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return NodeIdentity(id: "\(host)-\(n)", lockDescriptor: descriptor) }
            close(descriptor)
        }
        throw NodeIdentityError(message: "no free node lock in \(directory) (1,024 processes share it?)")
    }
}

/// Why a node identity could not be acquired.
struct NodeIdentityError: Error, CustomStringConvertible {
    var message: String
    var description: String { "node identity: \(message)" }
}
