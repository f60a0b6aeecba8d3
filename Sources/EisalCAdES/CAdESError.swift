// Typed errors of CAdES-BES verification and signing, in the ServiceGroupError shape: a struct
// with a private code enum, one static constructor per kind, and a message saying what was found.

/// Why a CAdES-BES signature was refused, or could not be made.
public struct CAdESError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of failure. Each kind maps to one error code of the platform's signature step.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        enum Code: String, Hashable, Sendable {
            case malformed, unsupportedStructure, unsupportedAlgorithm, missingAttribute
            case contentTypeMismatch, digestMismatch, signerCertificateMissing, signingCertificateMismatch
            case signatureInvalid, untrustedChain, certificateNotForSigning, certificateExpired
            case certificateNotYetValid, rinMismatch, keyMismatch
        }
        let code: Code

        /// Not Base64, not DER/BER, truncated, or not a CMS `SignedData`.
        public static let malformed = Kind(code: .malformed)
        /// A well-formed CMS that CAdES-BES does not allow here (no signer, no signed attributes…).
        public static let unsupportedStructure = Kind(code: .unsupportedStructure)
        /// A digest or signature algorithm this verifier does not accept.
        public static let unsupportedAlgorithm = Kind(code: .unsupportedAlgorithm)
        /// A signed attribute CAdES-BES requires is absent.
        public static let missingAttribute = Kind(code: .missingAttribute)
        /// The `content-type` signed attribute differs from the encapsulated content type.
        public static let contentTypeMismatch = Kind(code: .contentTypeMismatch)
        /// The `message-digest` signed attribute is not the digest of the document's canonical text.
        public static let digestMismatch = Kind(code: .digestMismatch)
        /// The signer's certificate is not in the `SignedData`.
        public static let signerCertificateMissing = Kind(code: .signerCertificateMissing)
        /// The `signing-certificate-v2` attribute does not name the signer's certificate.
        public static let signingCertificateMismatch = Kind(code: .signingCertificateMismatch)
        /// The signature over the signed attributes does not verify with the certificate's key.
        public static let signatureInvalid = Kind(code: .signatureInvalid)
        /// The certificate does not chain to a trust anchor.
        public static let untrustedChain = Kind(code: .untrustedChain)
        /// The certificate's key usage does not allow signing documents.
        public static let certificateNotForSigning = Kind(code: .certificateNotForSigning)
        /// A certificate of the chain had expired at the signing date.
        public static let certificateExpired = Kind(code: .certificateExpired)
        /// A certificate of the chain was not yet valid at the signing date.
        public static let certificateNotYetValid = Kind(code: .certificateNotYetValid)
        /// The certificate does not name the registration number (RIN) the document's issuer has.
        public static let rinMismatch = Kind(code: .rinMismatch)
        /// (Signing) the private key does not belong to the certificate.
        public static let keyMismatch = Kind(code: .keyMismatch)

        /// The kind's stable name, e.g. `digestMismatch`.
        public var name: String { code.rawValue }
        public var description: String { code.rawValue }
    }

    /// The kind of failure.
    public let kind: Kind
    /// What was found, in words an integrator can act on.
    public let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }

    static func malformed(_ message: String) -> CAdESError { CAdESError(.malformed, message) }
    static func unsupported(_ message: String) -> CAdESError { CAdESError(.unsupportedStructure, message) }
    static func algorithm(_ message: String) -> CAdESError { CAdESError(.unsupportedAlgorithm, message) }
}
