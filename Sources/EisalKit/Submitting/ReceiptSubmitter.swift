// Submits receipts the way the FAQ asks (shared/seeds/integration-practices-faq.txt): in
// batches within the platform's count and size limits, one POST per batch; a batch that got a
// 2xx is never sent again (anti-pattern 3); 422 and 429 are waited out for their Retry-After;
// only transport errors and 5xx are retried, with exponential backoff and jitter, and before such
// a retry the submitter asks whether the batch was in fact accepted (its outcome was unknown).

import EisalCore
import Foundation

/// How ``ReceiptSubmitter`` batches and retries.
public struct SubmitterConfiguration: Sendable {
    /// Most receipts in one submission. Default 500 (the contract's limit).
    public var maximumReceipts: Int = 500
    /// Largest submission body in bytes. Default 1,500,000 (under the contract's 1.5 MB).
    public var maximumBytes: Int = 1_500_000
    /// Attempts of one batch before giving up. Default 8.
    public var maximumAttempts: Int = 8
    /// The first retry delay in seconds, doubled each time, ±20 % jitter. Default 0.5.
    public var initialBackoff: Double = 0.5
    /// The longest retry delay in seconds. Default 30.
    public var maximumBackoff: Double = 30
    /// Batches in flight at once. Default 1 (a POS submits in order).
    public var concurrency: Int = 1
    /// Sleeps (injectable for tests).
    public var sleep: @Sendable (Double) async throws -> Void = { seconds in try await Task.sleep(for: .seconds(seconds)) }
    /// The longest `Retry-After` obeyed, in seconds (a longer one is waited this long). Default 300.
    public var maximumRetryAfter: Double = 300
    /// Told before each wait for a retry: the attempt that failed, why, and the seconds it waits.
    public var onRetry: @Sendable (_ attempt: Int, _ error: EisalClientError, _ wait: Double) -> Void = { _, _, _ in }

    /// A configuration with the defaults above.
    public init() {}
}

/// What became of one batch.
public struct BatchOutcome: Sendable {
    /// The receipts of the batch, in order (their UUIDs).
    public var uuids: [String]
    /// The submission's UUID (nil when no attempt was accepted).
    public var submissionUUID: String?
    /// Receipts the platform accepted (202).
    public var accepted: [AcceptedDocument]
    /// Receipts the platform rejected at once, each with its error.
    public var rejected: [RejectedDocument]
    /// Attempts made (1 when the first POST was answered 202).
    public var attempts: Int
    /// Whether the outcome of an attempt was unknown and the batch was then found accepted.
    public var recoveredAfterUnknownOutcome: Bool
}

extension BatchOutcome {
    func with(attempts: Int) -> BatchOutcome {
        var copy = self
        copy.attempts = attempts
        return copy
    }
}

/// Why a batch could not be submitted.
public struct SubmitterError: Error, CustomStringConvertible, Sendable {
    /// The batch's receipts.
    public let uuids: [String]
    /// The last error.
    public let underlying: EisalClientError
    /// Attempts made.
    public let attempts: Int
    public var description: String { "\(uuids.count) receipts not submitted after \(attempts) attempt(s): \(underlying)" }
}

/// Submits receipts through an ``EisalClient``.
public struct ReceiptSubmitter: Sendable {
    /// The client the receipts are sent through.
    public let client: EisalClient
    /// How batches are made and retried.
    public let configuration: SubmitterConfiguration

    /// A submitter; `configuration` defaults to ``SubmitterConfiguration``'s defaults.
    public init(client: EisalClient, configuration: SubmitterConfiguration = SubmitterConfiguration()) {
        self.client = client
        self.configuration = configuration
    }

    /// `receipts` split into submissions within the count and byte limits, in order.
    public func batches(_ receipts: [BuiltReceipt]) -> [[BuiltReceipt]] {
        var out: [[BuiltReceipt]] = []
        var current: [BuiltReceipt] = []
        var bytes = 16 // {"receipts":[]}
        for receipt in receipts {
            let size = receipt.json.count + 1
            if !current.isEmpty, current.count >= configuration.maximumReceipts || bytes + size > configuration.maximumBytes {
                out.append(current)
                current = []
                bytes = 16
            }
            current.append(receipt)
            bytes += size
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Submits every receipt, batch by batch (`concurrency` at once); `progress` hears each
    /// batch's outcome as it comes. Throws the first batch that cannot be submitted.
    @discardableResult
    public func submit(_ receipts: [BuiltReceipt], progress: @escaping @Sendable (BatchOutcome) async -> Void = { _ in }) async throws -> [BatchOutcome] {
        let batches = batches(receipts)
        var outcomes = [BatchOutcome?](repeating: nil, count: batches.count)
        try await withThrowingTaskGroup(of: (Int, BatchOutcome).self) { group in
            var next = 0
            func start() {
                let k = next
                next += 1
                group.addTask { (k, try await self.submitBatch(batches[k])) }
            }
            while next < min(batches.count, max(1, configuration.concurrency)) { start() }
            while let (k, outcome) = try await group.next() {
                outcomes[k] = outcome
                await progress(outcome)
                if next < batches.count { start() }
            }
        }
        return outcomes.compactMap { $0 }
    }

    /// One batch: one POST, and the retry rules of the FAQ.
    public func submitBatch(_ batch: [BuiltReceipt]) async throws -> BatchOutcome {
        let uuids = batch.map(\.uuid)
        let texts = batch.map(\.json)
        var attempts = 0
        var unknownOutcome = false
        var lastError = EisalClientError.transport("not attempted")
        while attempts < configuration.maximumAttempts {
            if unknownOutcome {
                // An earlier attempt may have been accepted: ask before sending again. A check that
                // fails leaves the outcome unknown: wait and ask again, never resend on a guess.
                do {
                    if let found = try await acceptedEarlier(batch) { return found.with(attempts: attempts) }
                } catch let error as EisalClientError {
                    lastError = error
                    attempts += 1
                    try await wait(retryDelay(error, attempts), attempts, error)
                    continue
                }
            }
            attempts += 1
            do {
                let response = try await client.submitReceipts(texts)
                // A 2xx: done, whatever it says; never sent again.
                return BatchOutcome(uuids: uuids, submissionUUID: response.submissionUUID, accepted: response.acceptedDocuments, rejected: response.rejectedDocuments,
                                    attempts: attempts, recoveredAfterUnknownOutcome: false)
            } catch let error as EisalClientError {
                lastError = error
                switch error {
                case let .http(status, _, _) where status == 422 || status == 429:
                    // Throttled, or the same body seen within the duplicate window: wait as told.
                    try await wait(retryDelay(error, attempts), attempts, error)
                case let .http(status, _, _) where status >= 500:
                    unknownOutcome = true
                    try await wait(backoff(attempts), attempts, error)
                case .transport:
                    unknownOutcome = true
                    try await wait(backoff(attempts), attempts, error)
                default:
                    // Any other 4xx: the request itself is wrong; sending it again cannot help.
                    throw SubmitterError(uuids: uuids, underlying: error, attempts: attempts)
                }
            }
        }
        throw SubmitterError(uuids: uuids, underlying: lastError, attempts: attempts)
    }

    /// The batch's outcome when an earlier attempt whose answer was lost was accepted, else nil.
    /// A submission is committed whole, so the first receipt of the batch the platform knows
    /// names it; only a few receipts are asked about (the first ones, and the last), since intake
    /// rarely rejects many receipts of one batch and every question is a throttled call.
    /// Receipts of the batch that submission does not hold are reported rejected.
    func acceptedEarlier(_ batch: [BuiltReceipt]) async throws -> BatchOutcome? {
        let probes = Array(batch.prefix(Self.acceptanceProbes - 1)) + (batch.count >= Self.acceptanceProbes ? [batch[batch.count - 1]] : [])
        for probe in probes {
            guard let raw = try await client.receiptRaw(probe.uuid) else { continue }
            guard let submission = raw.root["submissionUUID"]?.string ?? raw.root["receipt"]?["submissionUUID"]?.string else { return nil }
            let details = try await client.receiptSubmissionAllPages(submission)
            let held = Dictionary(details.receipts.map { ($0.uuid.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
            var accepted: [AcceptedDocument] = [], rejected: [RejectedDocument] = []
            for receipt in batch {
                if let row = held[receipt.uuid.lowercased()] {
                    accepted.append(AcceptedDocument(uuid: row.uuid, longId: row.longId, receiptNumber: row.receiptNumber))
                } else {
                    rejected.append(RejectedDocument(receiptNumber: receipt.receipt.header.receiptNumber, uuid: receipt.uuid,
                                                     error: ETAError(code: "NotAccepted", message: "The attempt whose answer was lost was accepted as submission \(submission) without this receipt (rejected at intake).")))
                }
            }
            return BatchOutcome(uuids: batch.map(\.uuid), submissionUUID: submission, accepted: accepted, rejected: rejected, attempts: 0, recoveredAfterUnknownOutcome: true)
        }
        return nil
    }

    /// Receipts asked about before a batch whose outcome is unknown is sent again.
    static let acceptanceProbes = 8

    /// The wait `Retry-After` asks for (never sooner; a little later so clients do not return
    /// at once; at most `maximumRetryAfter`), or a backoff when the answer has none.
    func retryDelay(_ error: EisalClientError, _ attempt: Int) -> Double {
        if case let .http(_, _, retryAfter?) = error { return min(configuration.maximumRetryAfter, Double(max(0, retryAfter))) + abs(jitter(0.25)) }
        if case let .http(status, _, _) = error, status == 422 || status == 429 { return 1 + abs(jitter(0.25)) }
        return backoff(attempt)
    }

    func wait(_ seconds: Double, _ attempt: Int, _ error: EisalClientError) async throws {
        guard attempt < configuration.maximumAttempts else { return }
        configuration.onRetry(attempt, error, seconds)
        try await configuration.sleep(seconds)
    }

    func backoff(_ attempt: Int) -> Double {
        min(configuration.maximumBackoff, configuration.initialBackoff * pow(2, Double(attempt - 1))) * (1 + jitter(0.2))
    }

    func jitter(_ fraction: Double) -> Double { Double.random(in: -fraction ... fraction) }
}
