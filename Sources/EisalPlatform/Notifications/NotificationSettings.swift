// Settings of callbacks and notification delivery (issue 16; spec/notifications.md). Every key is
// read by PlatformConfiguration(reader:) under `mode`, `callback.ca` and `notify.*`.

/// How the platform calls taxpayers' ERPs.
public struct NotificationSettings: Sendable, Hashable {
    /// `sandbox` (the default: callbacks may use `http` to loopback or private addresses, for a
    /// local receiver) or `production` (`https` only, certificates verified, no loopback, private,
    /// link-local or metadata targets).
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        case sandbox, production
    }

    public var mode: Mode = .sandbox
    /// A PEM file of extra CA certificates trusted for callbacks, beside the system's. (`callback.ca`)
    public var extraTrustRoots: String?
    /// Most notifications in one delivery. Default 100. (`notify.batch.size`)
    public var batchSize = 100
    /// How long the oldest pending notification may wait for a batch to fill, in ms. Default 100. (`notify.batch.wait.ms`)
    public var batchWaitMilliseconds = 100
    /// Dispatch workers of this node (one callback is served by one at a time). Default 8. (`notify.workers`)
    public var workers = 8
    /// Connecting to a callback, in ms. Default 5,000. (`notify.connect.timeout.ms`)
    public var connectTimeoutMilliseconds = 5_000
    /// A whole callback request, in ms. Default 10,000. (`notify.timeout.ms`)
    public var requestTimeoutMilliseconds = 10_000
    /// The first retry's delay, doubled each time up to ``retryMaximumMilliseconds``, ±20 % jitter.
    /// Default 1,000. (`notify.retry.initial.ms`)
    public var retryInitialMilliseconds = 1_000
    /// Default 300,000 (5 minutes). (`notify.retry.max.ms`)
    public var retryMaximumMilliseconds = 300_000
    /// Attempts before a delivery is failed. Default 25: with the defaults the last one is made
    /// about 84 minutes after the first (at least 67 with every jitter at −20 %), so a receiver
    /// down for an hour loses nothing. (`notify.retry.attempts`)
    public var retryAttempts = 25
    /// The key sealing callbacks' API keys in the database, Base64 of 32 bytes; nil keeps one in
    /// `{data}/callback.key` (created on first use). Several nodes must share it. (`notify.key`)
    public var sealingKey: String?

    public init() {}

    /// The delay before the attempt after `attempts` failed ones (≥ 1), before jitter.
    public func retryDelay(afterAttempts attempts: Int) -> Int64 {
        let doubled = Double(retryInitialMilliseconds) * pow2(attempts - 1)
        return Int64(min(doubled, Double(retryMaximumMilliseconds)))
    }

    private func pow2(_ n: Int) -> Double { n <= 0 ? 1 : (0 ..< min(n, 60)).reduce(1.0) { value, _ in value * 2 } }

    /// The whole schedule: when each attempt is made after the first, without jitter, in ms.
    public var schedule: [Int64] {
        var at: Int64 = 0
        return (1 ..< max(retryAttempts, 1)).map { n in
            at += retryDelay(afterAttempts: n)
            return at
        }
    }
}
