// One place maps every error to the contract's body and stamps the `correlationId` response
// header (ETA SDK /standard-header-parameters/) with the request id that is also in the logs.

import EisalCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Self.response(for: error, request: request, context: context)
        }
        response.headers[HTTPField.Name("correlationId")!] = context.id
        return response
    }

    /// The contract's answer to `error` (an inner middleware that must add headers to error
    /// responses converts with this too).
    static func response(for error: any Error, request: Request, context: Context) throws -> Response {
        switch error {
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
