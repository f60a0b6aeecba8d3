// The SDK's HTTP client for the contract, against Eisal or the real system (base URLs are
// configuration; nothing Eisal-specific on the wire). What is here so far (issue 17 needs it for
// the document calls; issue 19 grows it): one AsyncHTTPClient, a token cache (fetched once,
// reused until shortly before `expires_in` runs out, concurrent callers share one request, a 401
// refreshes once and retries), typed errors carrying the contract's error body (the nested
// envelope, and the flat throttle body with `Retry-After`).

import AsyncHTTPClient
import EisalCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A client of one taxpayer system (ERP) or POS.
public final class EisalClient: Sendable {
    /// Where the client connects and how it logs in.
    public struct Configuration: Sendable {
        /// The API base, e.g. `https://api.preprod.invoicing.eta.gov.eg` or `http://127.0.0.1:8080`.
        public var apiBaseURL: String
        /// The identity base (`/connect/token` is under it); Eisal serves both on one host.
        public var identityBaseURL: String
        /// The client id sent to `/connect/token`.
        public var clientID: String
        /// The client secret sent to `/connect/token`.
        public var clientSecret: String
        /// POS logins: the `posserial` header (and the optional ones); nil for an ERP.
        public var posSerial: String?
        /// POS logins: the `pososversion` header; nil: not sent.
        public var posOSVersion: String?
        /// POS logins: the `presharedkey` header; nil: not sent.
        public var presharedKey: String?
        /// An extra trust root (PEM file), e.g. the sandbox CA or the pre-production chain's root.
        public var extraTrustRootPEMFile: String?
        /// One request's limit.
        public var requestTimeout: TimeAmount
        /// The clock the token cache reads (seconds since the epoch); injectable for tests.
        public var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

        /// A configuration. A trailing `/` of a base URL is dropped; `identityBaseURL` defaults to
        /// `apiBaseURL`, `requestTimeout` to 30 seconds.
        public init(apiBaseURL: String, identityBaseURL: String? = nil, clientID: String, clientSecret: String, posSerial: String? = nil,
                    posOSVersion: String? = nil, presharedKey: String? = nil, extraTrustRootPEMFile: String? = nil, requestTimeout: TimeAmount = .seconds(30)) {
            self.apiBaseURL = apiBaseURL.hasSuffix("/") ? String(apiBaseURL.dropLast()) : apiBaseURL
            let identity = identityBaseURL ?? apiBaseURL
            self.identityBaseURL = identity.hasSuffix("/") ? String(identity.dropLast()) : identity
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.posSerial = posSerial
            self.posOSVersion = posOSVersion
            self.presharedKey = presharedKey
            self.extraTrustRootPEMFile = extraTrustRootPEMFile
            self.requestTimeout = requestTimeout
        }
    }

    /// What came back.
    public struct Reply: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The body as received.
        public var body: [UInt8]
        /// The response headers.
        public var headers: HTTPHeaders
    }

    /// What the client was made with.
    public let configuration: Configuration
    let http: HTTPClient
    let tokens: TokenCache

    /// A client with its own connections (redirects not followed); call `shutdown()` when done.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.tokens = TokenCache(now: configuration.now)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let root = configuration.extraTrustRootPEMFile { tls.additionalTrustRoots = [.file(root)] }
        let http = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// Closes the connections. Call once, when done.
    public func shutdown() async throws { try await http.shutdown() }

    /// An access token: the cached one while it has more than a minute left, else a new one.
    public func accessToken() async throws -> String {
        try await tokens.token { try await self.fetchToken() }
    }

    /// The cached token and when it is renewed (seconds since the epoch), to keep between runs.
    public func cachedToken() async -> (value: String, renewAt: Double)? { await tokens.snapshot }

    /// Starts the cache with a token kept from an earlier run (ignored once `renewAt` has passed).
    public func seedToken(_ value: String, renewAt: Double) async { await tokens.seed(value, renewAt: renewAt) }

    /// How many times this client asked `/connect/token` (a correct integration asks once an hour).
    public var tokenRequests: Int {
        get async { await tokens.fetches }
    }

    func fetchToken() async throws -> (String, Int64) {
        var request = HTTPClientRequest(url: configuration.identityBaseURL + "/connect/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        if let serial = configuration.posSerial {
            request.headers.add(name: "posserial", value: serial)
            if let v = configuration.posOSVersion { request.headers.add(name: "pososversion", value: v) }
            if let v = configuration.presharedKey { request.headers.add(name: "presharedkey", value: v) }
        }
        func form(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials&client_id=\(form(configuration.clientID))&client_secret=\(form(configuration.clientSecret))"))
        let reply = try await execute(request)
        let root = try? JSONParser().parse(reply.body).root
        guard reply.status == 200, let token = root?["access_token"]?.string else {
            throw EisalClientError.login(status: reply.status, error: root?["error"]?.string, description: root?["error_description"]?.string)
        }
        let lifetime = Int64(root?["expires_in"]?.numberLexeme ?? "") ?? 3600
        return (token, lifetime)
    }

    /// `method path` on the API with the token; a 401 refreshes the token once and retries.
    public func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json body: [UInt8]? = nil) async throws -> Reply {
        var refreshed = false
        while true {
            let token = try await accessToken()
            var url = configuration.apiBaseURL + path
            if !query.isEmpty {
                url += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? $0.1)" }.joined(separator: "&")
            }
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let reply = try await execute(request)
            if reply.status == 401, !refreshed {
                await tokens.invalidate(token)
                refreshed = true
                continue
            }
            guard (200 ..< 300).contains(reply.status) else { throw EisalClientError(reply) }
            return reply
        }
    }

    /// `call`, decoding the 2xx body as `T`.
    public func decode<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json body: [UInt8]? = nil) async throws -> T {
        let reply = try await call(method, path, query: query, json: body)
        do {
            return try JSONNodeDecoder().decode(T.self, from: try JSONParser().parse(reply.body).root)
        } catch {
            throw EisalClientError.unexpectedBody(status: reply.status, reason: "\(error)", excerpt: String(decoding: reply.body.prefix(300), as: UTF8.self))
        }
    }

    func execute(_ request: HTTPClientRequest) async throws -> Reply {
        do {
            let response = try await http.execute(request, timeout: configuration.requestTimeout)
            let body = try await response.body.collect(upTo: 64 << 20)
            return Reply(status: Int(response.status.code), body: Array(buffer: body), headers: response.headers)
        } catch let error as EisalClientError {
            throw error
        } catch {
            // A cancelled caller is cancelled, not a failed transport (the token cache tells
            // the two apart, so one cancelled caller never fails the others waiting on it).
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            throw EisalClientError.transport(String(describing: error))
        }
    }
}

/// Why a call failed.
public enum EisalClientError: Error, Sendable, CustomStringConvertible {
    /// No answer (connection, TLS, timeout): the outcome of a write is unknown.
    case transport(String)
    /// `/connect/token` refused (the OAuth `error` and its description).
    case login(status: Int, error: String?, description: String?)
    /// The API answered an error status with the contract's body (`error` nil when there was none).
    case http(status: Int, error: ETAError?, retryAfter: Int?)
    /// A 2xx whose body is not what the contract says.
    case unexpectedBody(status: Int, reason: String, excerpt: String)

    init(_ reply: EisalClient.Reply) {
        let retryAfter = reply.headers.first(name: "Retry-After").flatMap { Int($0) }
        let root = try? JSONParser().parse(reply.body).root
        var error: ETAError?
        if let nested = root?["error"], nested.kind == .object {
            error = try? JSONNodeDecoder().decode(ETAError.self, from: nested)
        } else if let flat = root?["error"]?.string {
            // The throttle body: {"error": "Too many requests", "message": "…", "code": 429}.
            error = ETAError(code: root?["code"]?.numberLexeme ?? String(reply.status), message: root?["message"]?.string ?? flat)
        }
        self = .http(status: reply.status, error: error, retryAfter: retryAfter)
    }

    public var description: String {
        switch self {
        case let .transport(reason): "no answer: \(reason)"
        case let .login(status, error, description): "login refused (HTTP \(status)): \(error ?? "")\(description.map { " — \($0)" } ?? "")"
        case let .http(status, error, retryAfter):
            "HTTP \(status)\(error.map { ": \($0.code ?? "") \($0.message)" } ?? "")\(error?.details.map { d in d.map { " [\($0.code ?? "") \($0.propertyPath ?? $0.target ?? ""): \($0.message)]" }.joined() } ?? "")\(retryAfter.map { " (retry after \($0) s)" } ?? "")"
        case let .unexpectedBody(status, reason, excerpt): "unexpected body (HTTP \(status)): \(reason): \(excerpt)"
        }
    }
}

extension EisalClientError {
    /// Whether asking again later may succeed: no answer, or a 5xx.
    public var isRetryable: Bool {
        switch self {
        case .transport: true
        case let .http(status, _, _): status >= 500
        case .login, .unexpectedBody: false
        }
    }
}

/// One token shared by every caller until shortly before it expires.
actor TokenCache {
    private var current: (value: String, expires: Double)?
    private let now: @Sendable () -> Double
    /// Fetches started.
    private(set) var fetches = 0

    init(now: @escaping @Sendable () -> Double) {
        self.now = now
    }
    /// Callers waiting for the fetch in flight; resumed with nil when its caller was cancelled
    /// (they then fetch themselves), so one cancelled caller never fails the others.
    private var waiting: [CheckedContinuation<String?, any Error>]?

    /// The cached token, or a new one from `fetch` (one fetch however many callers wait).
    func token(_ fetch: @Sendable () async throws -> (String, Int64)) async throws -> String {
        while true {
            if let current, now() < current.expires { return current.value }
            if waiting != nil {
                if let value = try await withCheckedThrowingContinuation({ waiting!.append($0) }) { return value }
                continue
            }
            waiting = []
            fetches += 1
            do {
                let (value, lifetime) = try await fetch()
                // Renewed a minute early (or at half its life when it is short).
                current = (value, now() + Double(max(1, lifetime - min(60, lifetime / 2))))
                let others = waiting ?? []
                waiting = nil
                for other in others { other.resume(returning: value) }
                return value
            } catch {
                let others = waiting ?? []
                waiting = nil
                for other in others {
                    if error is CancellationError { other.resume(returning: nil) } else { other.resume(throwing: error) }
                }
                throw error
            }
        }
    }

    var snapshot: (value: String, renewAt: Double)? { current.map { ($0.value, $0.expires) } }

    func seed(_ value: String, renewAt: Double) {
        if renewAt > now() { current = (value, renewAt) }
    }

    /// Forgets `value` (the API said 401), so the next call fetches a new token.
    func invalidate(_ value: String) {
        if current?.value == value { current = nil }
    }
}
