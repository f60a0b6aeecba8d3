// Makes CAdES-BES signatures the way ETA's reference signer does (spec/serialization.md,
// "Document hash for signing"): a DER CMS SignedData over the canonical text, the content
// detached, SHA-256 as the digest, signed attributes content-type, signing-time,
// message-digest and signing-certificate-v2, and the signer's certificate (plus any chain
// given) included. The result verifies with `CAdESVerifier` and with `openssl cms -verify`.

import Crypto
import Foundation
import SwiftASN1
import X509

/// Signs canonical document text with a certificate and its key.
public struct CAdESSigner: Sendable {
    /// The encapsulated content type to declare.
    public enum ContentType: String, Sendable {
        /// id-digestedData (1.2.840.113549.1.7.5), what ETA's reference .NET signer declares.
        case digestedData
        /// id-data (1.2.840.113549.1.7.1), what openssl and BouncyCastle declare.
        case data

        var identifier: ASN1ObjectIdentifier { self == .data ? OID.data : OID.digestedData }
    }

    /// The signer's certificate.
    public let certificate: Certificate
    /// Further certificates to include (intermediates), leaf excluded.
    public let chain: [Certificate]
    /// The key.
    public let key: any CAdESSigningKey
    /// The content type declared.
    public var contentType: ContentType = .digestedData

    /// A signer; throws when `key` does not belong to `certificate`.
    public init(certificate: Certificate, chain: [Certificate] = [], key: any CAdESSigningKey) throws {
        guard certificate.publicKey == key.publicKey else {
            throw CAdESError(.keyMismatch, "The private key does not belong to the certificate \"\(certificate.subject)\".")
        }
        self.certificate = certificate
        self.chain = chain
        self.key = key
    }

    /// The DER `ContentInfo` of a detached signature over `content`, signed at `signingTime`.
    public func sign(_ content: [UInt8], signingTime: Date = Date()) throws -> [UInt8] {
        let attributes = try signedAttributes(digest: Array(SHA256.hash(data: content)), signingTime: signingTime)
        var toSign = attributes
        toSign[0] = 0x31
        let signature = try key.signature(for: SHA256.hash(data: toSign))

        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(OID.signedData)
            try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(1)
                    try coder.appendConstructedNode(identifier: .set) { coder in try Self.algorithm(OID.sha256, into: &coder) }
                    try coder.appendConstructedNode(identifier: .sequence) { coder in try coder.serialize(contentType.identifier) }
                    try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
                        for certificate in [certificate] + chain { try coder.serialize(certificate) }
                    }
                    try coder.appendConstructedNode(identifier: .set) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(1)
                            try coder.appendConstructedNode(identifier: .sequence) { coder in
                                try coder.serialize(certificate.issuer)
                                coder.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: BERNodes.integerContent(unsigned: certificate.serialNumber.bytes)) }
                            }
                            try Self.algorithm(OID.sha256, into: &coder)
                            coder.serializeRawBytes(attributes)
                            try signatureAlgorithm(into: &coder)
                            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(signature)))
                        }
                    }
                }
            }
        }
        return coder.serializedBytes
    }

    /// `sign` as Base64, the form of a document's `signatures[].value`.
    public func signBase64(_ content: [UInt8], signingTime: Date = Date()) throws -> String {
        Data(try sign(content, signingTime: signingTime)).base64EncodedString()
    }

    /// The signed attributes as `[0] IMPLICIT SET OF Attribute`, DER-sorted.
    func signedAttributes(digest: [UInt8], signingTime: Date) throws -> [UInt8] {
        var encoded: [[UInt8]] = []
        func attribute(_ type: ASN1ObjectIdentifier, _ value: (inout DER.Serializer) throws -> Void) throws {
            var coder = DER.Serializer()
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(type)
                try coder.appendConstructedNode(identifier: .set) { coder in try value(&coder) }
            }
            encoded.append(coder.serializedBytes)
        }
        try attribute(OID.contentTypeAttribute) { try $0.serialize(contentType.identifier) }
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: signingTime)
        try attribute(OID.signingTimeAttribute) {
            try $0.serialize(try UTCTime(year: c.year!, month: c.month!, day: c.day!, hours: c.hour!, minutes: c.minute!, seconds: c.second!))
        }
        try attribute(OID.messageDigestAttribute) { try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(digest))) }
        let certificateHash = Array(SHA256.hash(data: try TrustStore.der(certificate)))
        try attribute(OID.signingCertificateV2) { coder in
            // SigningCertificateV2 { certs { ESSCertIDv2 { certHash, issuerSerial { GeneralNames { [4] Name }, serial } } } }
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(certificateHash)))
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.appendConstructedNode(identifier: .sequence) { coder in
                                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 4, tagClass: .contextSpecific)) { coder in
                                    try coder.serialize(certificate.issuer)
                                }
                            }
                            coder.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: BERNodes.integerContent(unsigned: certificate.serialNumber.bytes)) }
                        }
                    }
                }
            }
        }
        encoded.sort { $0.lexicographicallyPrecedes($1) }
        var coder = DER.Serializer()
        coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
            for attribute in encoded { coder.serializeRawBytes(attribute) }
        }
        return coder.serializedBytes
    }

    func signatureAlgorithm(into coder: inout DER.Serializer) throws {
        switch key.scheme {
        case .rsaPKCS1v15:
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(OID.sha256WithRSA)
                try coder.serialize(ASN1Null())
            }
        case .rsaPSS:
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(OID.rsaPSS)
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { try Self.algorithm(OID.sha256, into: &$0) }
                    try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(OID.mgf1)
                            try Self.algorithm(OID.sha256, into: &coder)
                        }
                    }
                    try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)) { try $0.serialize(32) }
                }
            }
        case .ecdsa:
            try Self.algorithm(OID.ecdsaWithSHA256, into: &coder)
        }
    }

    static func algorithm(_ oid: ASN1ObjectIdentifier, into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(oid) }
    }
}
