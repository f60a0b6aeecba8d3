// The contract's error shape. Source: ETA SDK /standard-error-response/ (envelope
// `{"error": {code, message, target, details}}`) and /ereceiptapi/02-submit-receipt/ (rejected
// documents' `error` adds `propertyPath`). See shared/spec/common.md "Error envelope".

/// An error as the contract writes it; `details` nests errors of the same shape.
public struct ETAError: Codable, Sendable, Hashable, Error {
    /// Machine code (`BadStructure`, `IncorrectSubmitter`, a validation rule id, …).
    public var code: String?
    /// Human-readable text.
    public var message: String
    /// The subject of the error: a parameter, a field name, or a document UUID.
    public var target: String?
    /// The document property that caused it, e.g. `header.dateTimeIssued`.
    public var propertyPath: String?
    /// Nested errors, so every problem is reported at once.
    public var details: [ETAError]?

    public init(code: String? = nil, message: String, target: String? = nil, propertyPath: String? = nil, details: [ETAError]? = nil) {
        self.code = code
        self.message = message
        self.target = target
        self.propertyPath = propertyPath
        self.details = details
    }
}

/// The standard error response body: `{"error": {...}}`.
public struct ETAErrorResponse: Codable, Sendable, Hashable {
    public var error: ETAError
    public init(error: ETAError) { self.error = error }
}
