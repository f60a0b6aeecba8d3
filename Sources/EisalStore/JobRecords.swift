// Leased jobs: their kinds, owners, and the facts platform rules read about earlier documents.

import EisalCore

/// A kind of leased job.
public struct JobKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Full validation of one accepted receipt submission (subject: the submission UUID).
    public static let validation = JobKind(family: .receipt)
    /// Full validation of a submission of `family`.
    public init(family: DocumentFamily) { rawValue = family.validationJob }
    public var description: String { rawValue }
}

/// Who holds a lease: one worker of one run of one node. A node's id is stable across its
/// restarts (``releaseLeases(node:)``); `run` tells two processes apart that were given the same
/// node id by mistake (two machines with one host name), so neither can renew, defer or
/// complete a job the other holds.
public struct LeaseOwner: Hashable, Sendable, CustomStringConvertible {
    public var node: String
    public var worker: Int
    /// This process's run (empty: none given).
    public var run: String
    public init(node: String, worker: Int, run: String = "") {
        self.node = node
        self.worker = worker
        self.run = run
    }
    /// As stored with the lease: `node/worker`, or `node/worker/run`.
    public var description: String { run.isEmpty ? "\(node)/\(worker)" : "\(node)/\(worker)/\(run)" }
}

/// A job claimed by a worker.
public struct ClaimedJob: Sendable, Hashable {
    public var id: Int64
    public var kind: JobKind
    /// What the job is about (for validation: the submission UUID).
    public var subject: String
    /// Claims so far, this one included.
    public var attempts: Int
    /// Who holds the lease.
    public var owner: LeaseOwner
    /// When the job was created (seconds since the epoch).
    public var createdAt: Int64

    public init(id: Int64, kind: JobKind = .validation, subject: String, attempts: Int, owner: LeaseOwner, createdAt: Int64) {
        self.id = id
        self.kind = kind
        self.subject = subject
        self.attempts = attempts
        self.owner = owner
        self.createdAt = createdAt
    }

    /// The submission a validation job is about.
    public var submissionUUID: String { subject }
}

/// Whether a receipt's number is already used by an earlier receipt of its POS.
public enum NumberConflict: Sendable, Hashable {
    /// An earlier receipt with a verdict other than Invalid holds the number.
    case taken
    /// Earlier receipts with the number are still awaiting their verdicts.
    case pending
}

/// A stored receipt's place in its POS chain.
public struct ChainKey: Sendable, Hashable {
    public var posSerial: String
    public var sellerRIN: String
    public var sellerSequence: Int64
    public init(posSerial: String, sellerRIN: String, sellerSequence: Int64) {
        self.posSerial = posSerial
        self.sellerRIN = sellerRIN
        self.sellerSequence = sellerSequence
    }
}
