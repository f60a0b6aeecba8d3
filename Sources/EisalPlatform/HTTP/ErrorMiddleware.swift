// One place maps every error to the contract's body and stamps the `correlationId` response
// header (ETA SDK /standard-header-parameters/) with the request id that is also in the logs.

import EisalCore
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
                response = try PlatformError(.methodNotAllowed, code: "MethodNotAllowed",
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
        case let error as RequestTimeoutError:
            return try PlatformError(.requestTimeout, code: "RequestTimeout", message: error.description, target: "body", headers: [.connection: "close"])
                .response(from: request, context: context)
        case let error as PlatformError:
            return try error.response(from: request, context: context)
        case let error as OAuthError:
            return try error.response(from: request, context: context)
        case is NIOTooManyBytesError:
            return try PlatformError(.badRequest, code: "MaximumSizeExceeded", message: "The request body is larger than this API accepts.")
                .response(from: request, context: context)
        case let error as HTTPError:
            return try envelope(for: error).response(from: request, context: context)
        case let error as HTTPParserError:
            // Broken framing (a chunk size that is not hex, a body cut short): the client's fault.
            return try PlatformError(.badRequest, code: "BadRequest", message: "The request could not be read: \(error.debugDescription).")
                .response(from: request, context: context)
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return try PlatformError(.internalServerError, code: "InternalServerError", message: "The request could not be completed; quote the correlationId to support.")
                .response(from: request, context: context)
        }
    }

    /// Hummingbird's own errors (no route, body too large, …) in the contract's envelope.
    static func envelope(for error: HTTPError) -> PlatformError {
        let message = error.body ?? error.status.reasonPhrase
        switch error.status {
        case .notFound: return PlatformError(.notFound, code: "NotFound", message: "No such resource: \(message)")
        case .methodNotAllowed: return PlatformError(.methodNotAllowed, code: "MethodNotAllowed", message: message)
        case .contentTooLarge: return PlatformError(.badRequest, code: "MaximumSizeExceeded", message: message)
        case .unauthorized: return .unauthorized
        default: return PlatformError(error.status, code: error.status.code < 500 ? "BadRequest" : "InternalServerError", message: message, headers: error.headers)
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
