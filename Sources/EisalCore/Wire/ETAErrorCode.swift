// The `code` values of the contract's error bodies, as named constants (the platform answers with
// them, the SDK matches on them). ETA's own codes where the SDK publishes them (ETA SDK
// /standard-error-response/, /ereceiptapi/02-submit-receipt/, the OAuth codes of
// spec/identity.md); the rest are Eisal's stand-in names (spec/common.md), marked so.

/// A `code` of the standard error envelope.
public struct ETAErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// 400: parameters cannot fulfil the request.
    public static let badRequest = ETAErrorCode(rawValue: "BadRequest")
    /// 400: one parameter is wrong (`target` names it).
    public static let badArgument = ETAErrorCode(rawValue: "BadArgument")
    /// 400: the submission is not shaped as required.
    public static let badStructure = ETAErrorCode(rawValue: "BadStructure")
    /// 400: the submission is over the size limit.
    public static let maximumSizeExceeded = ETAErrorCode(rawValue: "MaximumSizeExceeded")
    /// 403: submitting for another taxpayer, or an intermediary without permission.
    public static let incorrectSubmitter = ETAErrorCode(rawValue: "IncorrectSubmitter")
    /// 422: the same payload from the same taxpayer within 10 minutes.
    public static let duplicateSubmission = ETAErrorCode(rawValue: "DuplicateSubmission")
    /// 401 (stand-in name): token missing, malformed or expired.
    public static let unauthorized = ETAErrorCode(rawValue: "Unauthorized")
    /// 403 (stand-in name).
    public static let forbidden = ETAErrorCode(rawValue: "Forbidden")
    /// 404 (stand-in name).
    public static let notFound = ETAErrorCode(rawValue: "NotFound")
    /// 405 (stand-in name), with `Allow`.
    public static let methodNotAllowed = ETAErrorCode(rawValue: "MethodNotAllowed")
    /// 408 (stand-in name): the request did not arrive in time.
    public static let requestTimeout = ETAErrorCode(rawValue: "RequestTimeout")
    /// 409 (stand-in name): the change conflicts with stored data.
    public static let conflict = ETAErrorCode(rawValue: "Conflict")
    /// 415 (stand-in name): not JSON, or compressed.
    public static let unsupportedMediaType = ETAErrorCode(rawValue: "UnsupportedMediaType")
    /// 500 (stand-in name).
    public static let internalServerError = ETAErrorCode(rawValue: "InternalServerError")
    /// 503 (stand-in name), with `Retry-After`: the platform cannot serve now; nothing was changed.
    public static let serviceUnavailable = ETAErrorCode(rawValue: "ServiceUnavailable")
    /// 422 (Eisal extension): a callback's Ping did not answer 200 with the taxpayer's RIN.
    public static let callbackPingFailed = ETAErrorCode(rawValue: "CallbackPingFailed")
    /// A document refused by the synchronous checks of a submission (stand-in name; its `details` say why).
    public static let invalidDocument = ETAErrorCode(rawValue: "InvalidReceipt")
    /// A document whose UUID was accepted before (stand-in name).
    public static let duplicateDocument = ETAErrorCode(rawValue: "DuplicateReceipt")
}

/// An `error` of `/connect/token`'s OAuth 2 body (spec/identity.md).
public struct OAuthErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let invalidRequest = OAuthErrorCode(rawValue: "invalid_request")
    public static let invalidClient = OAuthErrorCode(rawValue: "invalid_client")
    public static let unauthorizedClient = OAuthErrorCode(rawValue: "unauthorized_client")
    public static let invalidClientSecret = OAuthErrorCode(rawValue: "invalid_clientsecret")
    public static let unsupportedGrantType = OAuthErrorCode(rawValue: "unsupported_grant_type")
    public static let invalidScope = OAuthErrorCode(rawValue: "invalid_scope")
    public static let invalidGrant = OAuthErrorCode(rawValue: "invalid_grant")
    public static let invalidPOSSerial = OAuthErrorCode(rawValue: "invalid_posserial")
    public static let invalidPOSOSVersion = OAuthErrorCode(rawValue: "invalid_pososversion")
    public static let invalidPOSModelFramework = OAuthErrorCode(rawValue: "invalid_posmodelframework")
    public static let invalidPresharedKey = OAuthErrorCode(rawValue: "invalid_presharedkey")
}

extension ETAError {
    /// An error with one of the named codes.
    public init(code: ETAErrorCode, message: String, target: String? = nil, propertyPath: String? = nil, details: [ETAError]? = nil) {
        self.init(code: code.rawValue, message: message, target: target, propertyPath: propertyPath, details: details)
    }
}
