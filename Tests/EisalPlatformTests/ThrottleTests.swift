import EisalCore
@testable import EisalPlatform
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Throttling (live server)")
struct ThrottleTests {
    static let limit = HTTPField.Name("X-Rate-Limit-Limit")!
    static let remaining = HTTPField.Name("X-Rate-Limit-Remaining")!
    static let reset = HTTPField.Name("X-Rate-Limit-Reset")!

    @Test func overTheLimitIs429WithRetryAfterAndTheFlatBodyAndEachClientHasItsOwnBucket() async throws {
        let start = Int64(Date().timeIntervalSince1970)
        let (clock, hand) = PlatformClock.manual(start)
        let limits = try RateLimits(parsing: "getRecentReceipts=3/1m,token=4/1h")
        try await Harness { $0.clock = clock; $0.rateLimits = limits }.run { client, startup in
            let erp = try await client.erpToken(startup.erp)
            // Three calls fit; each response says what is left and when the bucket is full again.
            for left in [2, 1, 0] {
                let response = try await client.get("/api/v1/receipts/recent", token: erp)
                #expect(response.status == .ok)
                #expect(response.headers[Self.limit] == "1m")
                #expect(response.headers[Self.remaining] == String(left))
                let resetAt = try #require(response.headers[Self.reset].flatMap { UTCDateTime($0) })
                #expect(resetAt.secondsSinceEpoch == start + Int64(3 - left) * 20, "a token comes back every 20 s")
            }
            // The fourth is refused: 429, Retry-After in whole seconds, ETA's flat throttle body.
            let refused = try await client.get("/api/v1/receipts/recent", token: erp)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "20")
            #expect(refused.headers[Self.remaining] == "0")
            #expect(refused.headers[HTTPField.Name("correlationId")!] != nil)
            #expect(refused.json["error"]?.string == "Too many requests")
            #expect(refused.json["code"]?.numberLexeme == "429")
            #expect(refused.json["message"]?.string?.contains("getRecentReceipts") == true)
            // Another client (the POS) has a bucket of its own; other APIs have their own limits.
            let pos = try await client.posToken(startup.pos)
            #expect(try await client.get("/api/v1/receipts/recent", token: pos).status == .ok)
            let search = try await client.get("/api/v1/receipts/search", token: erp)
            #expect(search.status == .ok)
            #expect(search.headers[Self.limit] == "1m")
            #expect(search.headers[Self.remaining] == "119", "search keeps the standard 120/1m")
            // After Retry-After seconds the client may call again.
            hand.advance(by: 20)
            #expect(try await client.get("/api/v1/receipts/recent", token: erp).status == .ok)
            #expect(try await client.get("/api/v1/receipts/recent", token: erp).status == .tooManyRequests)
            // Error responses of a throttled API carry the headers too; a call without a valid
            // token is not counted against anyone (it gets its 401).
            let unknown = try await client.get("/api/v1/receipts/\(String(repeating: "a", count: 64))/raw", token: erp)
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[Self.remaining] == "299")
            let anonymous = try await client.get("/api/v1/receipts/recent", token: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[Self.remaining] == nil)
        }
    }

    @Test func blockedTokenCallsCountAgainstTheCallersIPAndRealClientsKeepTheirOwnBudget() async throws {
        let (clock, _) = PlatformClock.manual(Int64(Date().timeIntervalSince1970))
        try await Harness { $0.clock = clock; $0.rateLimits = try! RateLimits(parsing: "token=4/1h") }.run { client, startup in
            func blocked() async throws -> TestResponse {
                try await client.execute(uri: "/connect/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                         body: client.form([("grant_type", "client_credentials"), ("client_id", "YOUR_CLIENT_ID"), ("client_secret", "x")]))
            }
            for left in [3, 2, 1, 0] {
                let response = try await blocked()
                #expect(response.status == .badRequest)
                #expect(response.json["error"]?.string == "invalid_client")
                #expect(response.headers[Self.limit] == "1h")
                #expect(response.headers[Self.remaining] == String(left))
            }
            let refused = try await blocked()
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "900")
            // A body too large to read is counted against the IP and answered in the OAuth shape.
            let huge = try await client.execute(uri: "/connect/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "grant_type=client_credentials&pad=" + String(repeating: "x", count: 70 * 1024)))
            #expect(huge.status == .tooManyRequests)
            // The demo ERP client's calls are counted by its client id, not by the shared IP.
            _ = try await client.erpToken(startup.erp)
        }
    }

    @Test func aTokenCallTooLargeToReadGetsTheOAuthShapeAndTheHeaders() async throws {
        try await Harness().run { client, _ in
            let huge = try await client.execute(uri: "/connect/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "grant_type=client_credentials&pad=" + String(repeating: "x", count: 70 * 1024)))
            #expect(huge.status == .badRequest)
            #expect(huge.json["error"]?.string == "invalid_request")
            #expect(huge.headers[Self.remaining] == "59")
        }
        try await Harness { $0.rateLimits = .off }.run { client, _ in
            let huge = try await client.execute(uri: "/connect/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "grant_type=client_credentials&pad=" + String(repeating: "x", count: 70 * 1024)))
            #expect(huge.status == .badRequest)
            #expect(huge.json["error"]?.string == "invalid_request")
            #expect(huge.headers[Self.remaining] == nil)
        }
    }

    @Test func submissionsAreNotThrottledByDefault() async throws {
        try await Harness().run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let response = try await client.submit(ReceiptChain.submission([try chain.next()]), token: token)
            #expect(response.status == .accepted)
            #expect(response.headers[Self.limit] == nil)
        }
    }

    @Test func theAPIOfARequestIsFoundOnEveryAliasAndOnlyOnContractPaths() {
        let cases: [(HTTPRequest.Method, String, ThrottledAPI?)] = [
            (.post, "/connect/token", .token),
            (.get, "/connect/token", nil),
            (.post, "/api/v1/receiptsubmissions", .submitReceipts),
            (.post, "/api/v1.0/receiptsubmissions/", .submitReceipts),
            (.get, "/api/v1/receiptsubmissions/ABC/details", .getReceiptSubmission),
            (.get, "/api/v1/receipts/search", .searchReceipts),
            (.get, "/api/v1/receipts/recent/", .getRecentReceipts),
            (.get, "/api/v1/receipts/abc/raw", .getReceipt),
            (.get, "/api/v1.0/receipts/abc/details", .getReceiptDetails),
            (.get, "/api/v1/receipts/abc/share", .shareReceipt),
            (.get, "/api/v2/receipts/search", nil),
            (.get, "/health", nil),
            (.get, "/metrics", nil),
            (.post, "/admin/pos", nil),
        ]
        for (method, path, api) in cases {
            #expect(ThrottleMiddleware.api(method: method, path: path) == api, "\(method) \(path)")
        }
    }

    @Test func limitsParseAndPrintInETAsWindowForm() throws {
        #expect(RateLimit("12/1m") == RateLimit(requests: 12, windowSeconds: 60))
        #expect(RateLimit("5/30s")?.window == "30s")
        #expect(RateLimit("5/90s")?.window == "90s")
        #expect(RateLimit("5/120s")?.window == "2m")
        #expect(RateLimit("1/2d")?.windowSeconds == 172_800)
        #expect(RateLimit("1/366d") == RateLimit(requests: 1, windowSeconds: 366 * 86400))
        #expect(RateLimit("1000000000/1s")?.requests == 1_000_000_000)
        for bad in ["", "12", "0/1m", "-1/1m", "12/1", "12/0m", "12/1w", "x/1m", "12/1m/1", "1/367d", "1/8785h", "1/999999999999999999m",
                    "1/9223372036854775807s", "9223372036854775807/1m", "1000000001/1m"] {
            #expect(RateLimit(bad) == nil, "\(bad)")
        }
        #expect(try RateLimits(parsing: "off") == .off)
        #expect(try RateLimits(parsing: "") == .standard)
        let changed = try RateLimits(parsing: "getRecentReceipts=12/1m, submitReceipts=600/1m,token=off")
        #expect(changed.limits[.getRecentReceipts] == RateLimit(requests: 12, windowSeconds: 60))
        #expect(changed.limits[.submitReceipts] == RateLimit(requests: 600, windowSeconds: 60))
        #expect(changed.limits[.token] == nil)
        #expect(changed.limits[.searchReceipts] == RateLimits.standard.limits[.searchReceipts])
        #expect(throws: RateLimitSpecError.self) { try RateLimits(parsing: "recent=12/1m") }
        #expect(throws: RateLimitSpecError.self) { try RateLimits(parsing: "token=12") }
    }

    @Test func fullBucketsAreSweptSoCallersCannotGrowMemoryWithoutBound() async {
        let (clock, hand) = PlatformClock.manual(1_000)
        let limiter = RateLimiter(limits: RateLimits([.searchReceipts: RateLimit(requests: 2, windowSeconds: 2)]), sweepThreshold: 100) { Double(clock.now()) }
        for k in 0 ..< 100 { _ = await limiter.take(.searchReceipts, caller: "c\(k)") }
        #expect(await limiter.bucketCount == 100)
        hand.advance(by: 2) // every bucket has refilled
        _ = await limiter.take(.searchReceipts, caller: "new")
        #expect(await limiter.bucketCount == 1)
        #expect(await limiter.take(.getRecentReceipts, caller: "new") == nil, "an API without a limit is not counted")
    }
}
