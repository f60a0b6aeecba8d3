// Throttling of the contract's APIs. Sources: ETA SDK /apigovernance/ (a "selective rate limiter":
// limits per API and per calling ERP/POS system; HTTP 429 with Retry-After), spec/common.md
// (X-Rate-Limit-Limit is a window string such as `5m`; the flat 429 body; the stand-in decision:
// a configurable token bucket per (client, API), the three X-Rate-Limit headers on every response
// of a throttled API) and spec/identity.md (blocked token calls count toward the caller's limit).
// ETA's own limit table was not captured: the defaults below are stand-in choices, loose enough
// that a well-behaved integration (FAQ good practices) never meets them and tight enough that the
// FAQ's anti-patterns (a token per call, polling receipts instead of the submission, Get Recent
// Receipts in a loop) are answered with 429 within a minute.

import Foundation

/// An API that has its own limit.
public enum ThrottledAPI: String, Sendable, Hashable, CaseIterable {
    /// `POST /connect/token`, per client id (per IP when the call names none).
    case token
    /// `POST /api/v1/receiptsubmissions`.
    case submitReceipts
    /// `GET /api/v1/receiptsubmissions/{uuid}/details`.
    case getReceiptSubmission
    /// `GET /api/v1/receipts/{uuid}/raw`.
    case getReceipt
    /// `GET /api/v1/receipts/{uuid}/details`.
    case getReceiptDetails
    /// `GET /api/v1/receipts/{uuid}/share`, per IP (no caller identity).
    case shareReceipt
    /// `GET /api/v1/receipts/search`.
    case searchReceipts
    /// `GET /api/v1/receipts/recent`.
    case getRecentReceipts
    /// `POST /api/v1.0/documentsubmissions`.
    case submitDocuments
    /// `GET /api/v1.0/documentsubmissions/{uuid}`.
    case getSubmission
    /// `GET /api/v1.0/documents/{uuid}/raw`.
    case getDocument
    /// `GET /api/v1.0/documents/{uuid}/details`.
    case getDocumentDetails
    /// `GET /api/v1.0/documents/{uuid}/pdf` (not served yet; limited so mass printing is refused once it is).
    case getDocumentPrintout
    /// `GET /api/v1.0/documents/search`.
    case searchDocuments
    /// `GET /api/v1.0/documents/recent`.
    case getRecentDocuments
    /// `PUT /api/v1.0/documents/state/{uuid}/…` (cancel, reject, declines).
    case changeDocumentState
}

/// A limit: `requests` per `window` seconds, refilled continuously (token bucket).
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public let requests: Int
    public let windowSeconds: Int64

    /// Values outside 1…``maximumRequests`` and 1…``maximumWindowSeconds`` are clamped into them.
    public init(requests: Int, windowSeconds: Int64) {
        self.requests = min(max(1, requests), Self.maximumRequests)
        self.windowSeconds = min(max(1, windowSeconds), Self.maximumWindowSeconds)
    }

    /// Largest `N` accepted.
    public static let maximumRequests = 1_000_000_000
    /// Longest window accepted: 366 days.
    public static let maximumWindowSeconds: Int64 = 366 * 86400

    /// Parses `N/W` with W a window such as `1m`, `30s`, `5h`, `1d`; N at most
    /// ``maximumRequests``, W at most ``maximumWindowSeconds``.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let requests = Int(parts[0]), (1 ... Self.maximumRequests).contains(requests),
              let window = Self.seconds(String(parts[1])) else { return nil }
        self.init(requests: requests, windowSeconds: window)
    }

    static func seconds(_ window: String) -> Int64? {
        guard let unit = window.last, let count = Int64(window.dropLast()), (1 ... maximumWindowSeconds).contains(count) else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        default: return nil
        }
        let seconds = count * scale // no overflow: count ≤ maximumWindowSeconds
        return seconds <= maximumWindowSeconds ? seconds : nil
    }

    /// The window as ETA's `X-Rate-Limit-Limit` writes it (`5s`, `5m`, `5h`, `5d`).
    public var window: String {
        if windowSeconds % 86400 == 0 { return "\(windowSeconds / 86400)d" }
        if windowSeconds % 3600 == 0 { return "\(windowSeconds / 3600)h" }
        if windowSeconds % 60 == 0 { return "\(windowSeconds / 60)m" }
        return "\(windowSeconds)s"
    }

    public var description: String { "\(requests)/\(window)" }
}

/// The limit of each throttled API; an API without a limit is not throttled.
public struct RateLimits: Sendable, Hashable {
    public var limits: [ThrottledAPI: RateLimit]

    public init(_ limits: [ThrottledAPI: RateLimit]) { self.limits = limits }

    /// Stand-in defaults (ETA's table is [UNKNOWN]; MyInvois publishes 300/min for Get Submission
    /// and 12/min for Get Recent Documents, an analogue only). Submit Receipts is not throttled:
    /// the FAQ names no submission rate, and resubmitting the same payload is already 422.
    public static let standard = RateLimits([
        .token: RateLimit(requests: 60, windowSeconds: 60),
        .getReceiptSubmission: RateLimit(requests: 300, windowSeconds: 60),
        .getReceipt: RateLimit(requests: 300, windowSeconds: 60),
        .getReceiptDetails: RateLimit(requests: 300, windowSeconds: 60),
        .shareReceipt: RateLimit(requests: 60, windowSeconds: 60),
        .searchReceipts: RateLimit(requests: 120, windowSeconds: 60),
        .getRecentReceipts: RateLimit(requests: 30, windowSeconds: 60),
        // Documents: the same shape, Recent tighter than Search (the FAQ and the Recent page say so),
        // printouts limited so that mass PDF generation is refused (FAQ).
        .getSubmission: RateLimit(requests: 300, windowSeconds: 60),
        .getDocument: RateLimit(requests: 300, windowSeconds: 60),
        .getDocumentDetails: RateLimit(requests: 300, windowSeconds: 60),
        .getDocumentPrintout: RateLimit(requests: 30, windowSeconds: 60),
        .searchDocuments: RateLimit(requests: 120, windowSeconds: 60),
        .getRecentDocuments: RateLimit(requests: 12, windowSeconds: 60),
        .changeDocumentState: RateLimit(requests: 120, windowSeconds: 60),
    ])

    /// `api=N/W` for each limited API, in declaration order.
    public var summary: String {
        ThrottledAPI.allCases.compactMap { api in limits[api].map { "\(api.rawValue)=\($0)" } }.joined(separator: ",")
    }

    /// No throttling at all.
    public static let off = RateLimits([:])

    /// `standard` changed by `spec`: `off`, or comma-separated `api=N/W` (`W` like `1m`) and
    /// `api=off`, e.g. `getRecentReceipts=12/1m,submitReceipts=600/1m`.
    public init(parsing spec: String, base: RateLimits = .standard) throws(RateLimitSpecError) {
        self = base
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return }
        if trimmed == "off" { self = .off; return }
        for item in trimmed.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let api = ThrottledAPI(rawValue: pair[0]) else {
                throw RateLimitSpecError(item: String(item))
            }
            if pair[1] == "off" {
                limits[api] = nil
            } else if let limit = RateLimit(pair[1]) {
                limits[api] = limit
            } else {
                throw RateLimitSpecError(item: String(item))
            }
        }
    }
}

/// A rate-limit setting that cannot be read.
public struct RateLimitSpecError: Error, CustomStringConvertible {
    public var item: String
    public var description: String {
        "rate limit '\(item)': expected api=N/W (N 1…\(RateLimit.maximumRequests), W like 30s, 1m, 1h, 1d up to 366d) or api=off, api one of \(ThrottledAPI.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}
