// Errors of the platform APIs in the contract's shapes: the standard envelope
// `{"error": {code, message, target, details}}` (ETA SDK /standard-error-response/) and the
// OAuth 2 body of /connect/token (spec/identity.md). Codes for 401/403/404/415/500 that ETA does
// not publish are stand-in choices (spec/common.md): Unauthorized, Forbidden, NotFound,
// UnsupportedMediaType, InternalServerError.

import EisalCore
import Hummingbird

/// An error answered with the standard error envelope.
public struct PlatformError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let error: ETAError
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: ETAErrorCode, message: String, target: String? = nil, details: [ETAError]? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.error = ETAError(code: code, message: message, target: target, details: details)
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        let body = try JSONWriter().bytes(JSONValueEncoder().encode(ETAErrorResponse(error: error)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func badStructure(_ message: String, target: String? = nil, details: [ETAError]? = nil) -> PlatformError {
        PlatformError(.badRequest, code: .badStructure, message: message, target: target, details: details)
    }

    static func badArgument(_ message: String, target: String) -> PlatformError {
        PlatformError(.badRequest, code: .badArgument, message: message, target: target)
    }

    static func notFound(_ what: String, target: String? = nil) -> PlatformError {
        PlatformError(.notFound, code: .notFound, message: "\(what) was not found.", target: target)
    }

    static let unauthorized = PlatformError(.unauthorized, code: .unauthorized, message: "A valid access token is required: log in again with POST /connect/token and send it as 'Authorization: Bearer <token>'.",
                                            headers: [.wwwAuthenticate: "Bearer"])
}

/// An OAuth 2 error of `/connect/token`: HTTP 400 `{"error", "error_description"}`.
public struct OAuthError: Error, HTTPResponseError, Sendable {
    public let code: OAuthErrorCode
    public let description: String
    public var status: HTTPResponse.Status { .badRequest }

    public init(_ code: OAuthErrorCode, _ description: String) {
        self.code = code
        self.description = description
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = JSONWriter().bytes(.object([("error", .string(code.rawValue)), ("error_description", .string(description))]))
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Response {
    /// A JSON response from an `Encodable` wire type (member order kept).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        try json(JSONValueEncoder().encode(value), status: status, headers: headers)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter().bytes(value))))
    }
}
