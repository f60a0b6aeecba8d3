// One place maps every error to the contract's body and stamps the `correlationId` response
// header (ETA SDK /standard-header-parameters/) with the request id that is also in the logs.

import EisalCore
import EisalStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes' methods, for 405 instead of 404 on a known path.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router's "no route": a known path with another method is 405 with Allow.
            if let allowed = routes.allowedMethods(path: request.uri.path) {
                response = try PlatformError(.methodNotAllowed, code: .methodNotAllowed,
                                             message: "\(request.method.rawValue) is not allowed on \(request.uri.path): use \(allowed.joined(separator: " or ")).",
                                             target: request.method.rawValue, headers: [.allow: allowed.joined(separator: ", ")])
                    .response(from: request, context: context)
            } else {
                response = try Self.response(for: error, request: request, context: context)
            }
        } catch {
            response = try Self.response(for: error, request: request, context: context)
        }
        response.headers[HTTPField.Name("correlationId")!] = context.id
        return response
    }

    /// The contract's answer to `error` (an inner middleware that must add headers to error
    /// responses converts with this too).
    static func response(for error: any Error, request: Request, context: Context) throws -> Response {
        if ClientGone.matches(error) {
            // The client hung up (mid-body, or before the answer): nothing can be sent, and it is
            // not a server error. Counted under 499 ("client closed request"), logged at debug.
            context.logger.debug("client went away", metadata: ["error": "\(String(reflecting: error))"])
            return Response(status: .init(code: 499, reasonPhrase: "Client Closed Request"))
        }
        switch error {
        case let error as StoreError:
            return try storeResponse(error, request: request, context: context)
        case let error as RequestTimeoutError:
            return try PlatformError(.requestTimeout, code: .requestTimeout, message: error.description, target: "body", headers: [.connection: "close"])
                .response(from: request, context: context)
        case let error as PlatformError:
            return try error.response(from: request, context: context)
        case let error as OAuthError:
            return try error.response(from: request, context: context)
        case is NIOTooManyBytesError:
            return try PlatformError(.badRequest, code: .maximumSizeExceeded, message: "The request body is larger than this API accepts.")
                .response(from: request, context: context)
        case let error as HTTPError:
            return try envelope(for: error).response(from: request, context: context)
        case let error as HTTPParserError:
            // Broken framing (a chunk size that is not hex, a body cut short): the client's fault.
            return try PlatformError(.badRequest, code: .badRequest, message: "The request could not be read: \(error.debugDescription).")
                .response(from: request, context: context)
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return try PlatformError(.internalServerError, code: .internalServerError, message: "The request could not be completed; quote the correlationId to support.")
                .response(from: request, context: context)
        }
    }

    /// A store that cannot serve now is 503 with `Retry-After` (nothing was changed: the same call
    /// may succeed in a moment); a conflict is 409; damaged data is 500 and logged.
    static func storeResponse(_ error: StoreError, request: Request, context: Context) throws -> Response {
        switch error.code {
        case .unavailable:
            context.logger.warning("store unavailable", metadata: ["error": "\(error)"])
            return try PlatformError(.serviceUnavailable, code: .serviceUnavailable,
                                     message: "The platform cannot store or read data at the moment (the database is busy or unavailable); nothing was changed. Retry after the Retry-After seconds.",
                                     headers: [.retryAfter: "1"]).response(from: request, context: context)
        case .conflict:
            return try PlatformError(.conflict, code: .conflict, message: "The request conflicts with data already stored.").response(from: request, context: context)
        case .notFound:
            return try PlatformError.notFound("The requested item").response(from: request, context: context)
        default:
            context.logger.error("store data corrupt", metadata: ["error": "\(error)"])
            return try PlatformError(.internalServerError, code: .internalServerError, message: "The request could not be completed; quote the correlationId to support.")
                .response(from: request, context: context)
        }
    }

    /// Hummingbird's own errors (no route, body too large, …) in the contract's envelope.
    static func envelope(for error: HTTPError) -> PlatformError {
        let message = error.body ?? error.status.reasonPhrase
        switch error.status {
        case .notFound: return PlatformError(.notFound, code: .notFound, message: "No such resource: \(message)")
        case .methodNotAllowed: return PlatformError(.methodNotAllowed, code: .methodNotAllowed, message: message)
        case .contentTooLarge: return PlatformError(.badRequest, code: .maximumSizeExceeded, message: message)
        case .unauthorized: return .unauthorized
        default: return PlatformError(error.status, code: error.status.code < 500 ? .badRequest : .internalServerError, message: message, headers: error.headers)
        }
    }
}

/// Errors that mean the client is gone, not that the request or the server is wrong.
enum ClientGone {
    static func matches(_ error: any Error) -> Bool {
        switch error {
        case let error as ChannelError:
            return error == .ioOnClosedChannel || error == .eof || error == .alreadyClosed || error == .outputClosed || error == .inputClosed
        case is IOError:
            return true
        default:
            // A body cut short by the end of the connection is an HTTPParserError, answered 400
            // (a client that only half-closed still reads it).
            return false
        }
    }
}
