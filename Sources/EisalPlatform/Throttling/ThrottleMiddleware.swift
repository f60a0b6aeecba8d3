// Applies RateLimits to the contract's APIs; see RateLimits.swift for the sources.

import EisalCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers a call over its API's limit with 429, `Retry-After` and ETA's flat throttle body, and
/// stamps `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` on every response of a throttled API.
struct ThrottleMiddleware: RouterMiddleware {
    typealias Context = EisalRequestContext

    let limiter: RateLimiter

    static let limitHeader = HTTPField.Name("X-Rate-Limit-Limit")!
    static let remainingHeader = HTTPField.Name("X-Rate-Limit-Remaining")!
    static let resetHeader = HTTPField.Name("X-Rate-Limit-Reset")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let api = Self.api(method: request.method, path: request.uri.path), limiter.limits.limits[api] != nil else {
            return try await next(request, context)
        }
        var request = request
        let (identified, bodyTooLarge) = try await caller(of: api, request: &request, context: context)
        guard let caller = identified, let decision = await limiter.take(api, caller: caller) else {
            return try await next(request, context)
        }
        let window = limiter.limits.limits[api]!.window
        var response: Response
        if decision.allowed {
            do {
                // A token call whose body could not be read is answered here: the route cannot read it either.
                if bodyTooLarge { throw TokenCall.bodyTooLarge }
                response = try await next(request, context)
            } catch {
                response = try ErrorMiddleware<Context>.response(for: error, request: request, context: context)
            }
        } else {
            context.logger.notice("throttled", metadata: ["api": "\(api.rawValue)", "caller": "\(caller)", "retryAfter": "\(decision.retryAfter)"])
            response = Self.tooManyRequests(api, window: window, retryAfter: decision.retryAfter)
        }
        response.headers[Self.limitHeader] = window
        response.headers[Self.remainingHeader] = String(decision.remaining)
        response.headers[Self.resetHeader] = UTCDateTime(secondsSinceEpoch: decision.resetAt).iso8601
        return response
    }

    /// ETA's throttle body is flat, not the standard envelope (spec/common.md, Throttling).
    static func tooManyRequests(_ api: ThrottledAPI, window: String, retryAfter: Int64) -> Response {
        let message = "Too many calls to \(api.rawValue) in \(window) from this client: wait at least \(retryAfter) s (Retry-After) before calling again."
        let body = JSONWriter().bytes(.object([("error", .string("Too many requests")), ("message", .string(message)), ("code", .number("429"))]))
        return Response(status: .tooManyRequests, headers: [.contentType: "application/json", .retryAfter: String(retryAfter)],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Who is counted (spec/common.md: per client id or POS serial): the POS serial or client id
    /// of a token call with its IP (the IP alone when it names no real client id, or its body is
    /// too large to read), the IP of a share call, and the authenticated POS or client of every
    /// other API.
    /// nil (not counted): a call without a valid token, which gets its 401 from the route.
    func caller(of api: ThrottledAPI, request: inout Request, context: Context) async throws -> (caller: String?, bodyTooLarge: Bool) {
        let ip = context.remoteAddress?.ipAddress.map { "ip:" + $0 } ?? "ip:unknown"
        switch api {
        case .shareReceipt:
            return (ip, false)
        case .token:
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: TokenCall.maximumBodyBytes)
            } catch is NIOTooManyBytesError {
                return (ip, true)
            }
            let clientID = TokenCall.fields(body: body, headers: request.headers)["client_id"] ?? ""
            if TokenCall.placeholderClientIDs.contains(clientID.trimmingCharacters(in: .whitespaces)) { return (ip, false) }
            // The claimed id is paired with the IP, so calls from elsewhere (with a wrong secret,
            // say) cannot spend a real client's budget.
            if let serial = HTTPField.Name("posserial").flatMap({ request.headers[$0] }), !serial.isEmpty { return ("pos:" + serial + "@" + ip, false) }
            return ("client:" + clientID + "@" + ip, false)
        default:
            guard let principal = context.principal else { return (nil, false) }
            return (principal.pos.map { "pos:" + $0 } ?? "client:" + principal.sub, false)
        }
    }

    /// The throttled API a request calls, from its method and path (both `/api/v1/` and
    /// `/api/v1.0/`, one trailing slash ignored, as the router does).
    static func api(method: HTTPRequest.Method, path: String) -> ThrottledAPI? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if parts.count == 2, parts[0] == "connect", parts[1] == "token" { return method == .post ? .token : nil }
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" || parts[1] == "v1.0" else { return nil }
        parts.removeFirst(2)
        switch (method, parts.count, parts[0]) {
        case (.post, 1, "receiptsubmissions"): return .submitReceipts
        case (.get, 3, "receiptsubmissions") where parts[2] == "details": return .getReceiptSubmission
        case (.get, 2, "receipts") where parts[1] == "search": return .searchReceipts
        case (.get, 2, "receipts") where parts[1] == "recent": return .getRecentReceipts
        case (.get, 3, "receipts"):
            switch parts[2] {
            case "raw": return .getReceipt
            case "details": return .getReceiptDetails
            case "share": return .shareReceipt
            default: return nil
            }
        case (.post, 1, "documentsubmissions"): return .submitDocuments
        case (.get, 2, "documentsubmissions"): return .getSubmission
        case (.get, 2, "documents") where parts[1] == "search": return .searchDocuments
        case (.get, 2, "documents") where parts[1] == "recent": return .getRecentDocuments
        case (.get, 3, "documents"):
            switch parts[2] {
            case "raw": return .getDocument
            case "details": return .getDocumentDetails
            case "pdf": return .getDocumentPrintout
            default: return nil
            }
        case (.put, _, "documents") where parts.count >= 4 && parts[1] == "state": return .changeDocumentState
        default: return nil
        }
    }
}
