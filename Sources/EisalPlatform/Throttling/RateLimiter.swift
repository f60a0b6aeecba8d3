// Token buckets per (API, caller); see RateLimits.swift for the sources.

/// What the limiter decided for one call.
struct RateDecision: Sendable, Hashable {
    var allowed: Bool
    /// Calls left in the bucket after this one.
    var remaining: Int
    /// When the bucket is full again, in seconds since the epoch, assuming no further calls.
    var resetAt: Int64
    /// Seconds until the next call is allowed (0 when this one was).
    var retryAfter: Int64
}

/// Token buckets, one per (API, caller): a bucket holds up to `requests` calls and refills at
/// `requests / window` per second. State is per node (a stand-in's throttle need not be shared).
actor RateLimiter {
    struct Key: Hashable {
        var api: ThrottledAPI
        var caller: String
    }

    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    let limits: RateLimits
    let now: @Sendable () -> Double
    private var buckets: [Key: Bucket] = [:]
    /// Buckets kept before full ones are dropped (a full bucket is the same as no bucket).
    let sweepThreshold: Int

    init(limits: RateLimits, sweepThreshold: Int = 50_000, now: @escaping @Sendable () -> Double) {
        self.limits = limits
        self.sweepThreshold = sweepThreshold
        self.now = now
    }

    /// Takes one call from the caller's bucket for `api`.
    func take(_ api: ThrottledAPI, caller: String) -> RateDecision? {
        guard let limit = limits.limits[api] else { return nil }
        let capacity = Double(limit.requests)
        let rate = capacity / Double(limit.windowSeconds)
        let t = now()
        let key = Key(api: api, caller: caller)
        var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: t)
        bucket.tokens = min(capacity, bucket.tokens + max(0, t - bucket.updated) * rate)
        bucket.updated = t
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        if buckets[key] == nil, buckets.count >= sweepThreshold { sweep(at: t) }
        buckets[key] = bucket
        let missing = capacity - bucket.tokens
        return RateDecision(
            allowed: allowed,
            remaining: Int(bucket.tokens.rounded(.down)),
            resetAt: Int64((t + missing / rate).rounded(.up)),
            retryAfter: allowed ? 0 : max(1, Int64(((1 - bucket.tokens) / rate).rounded(.up)))
        )
    }

    /// Drops every bucket that has refilled completely.
    private func sweep(at t: Double) {
        buckets = buckets.filter { key, bucket in
            guard let limit = limits.limits[key.api] else { return false }
            let rate = Double(limit.requests) / Double(limit.windowSeconds)
            return bucket.tokens + (t - bucket.updated) * rate < Double(limit.requests)
        }
    }

    var bucketCount: Int { buckets.count }
}
