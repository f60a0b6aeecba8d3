// The digest and signature algorithms accepted: SHA-256/384/512 digests; RSA PKCS#1 v1.5
// (rsaEncryption or shaNNNWithRSAEncryption), RSASSA-PSS with MGF1 and a salt as long as the
// digest (RFC 4055's recommended form, what openssl and .NET write), and ECDSA on P-256/P-384/P-521.
// SHA-1 is refused everywhere.

import _CryptoExtras
import Foundation
import Crypto
import SwiftASN1
import X509

/// A digest algorithm CAdES-BES may name.
enum DigestAlgorithm: String, Sendable {
    case sha256 = "SHA-256", sha384 = "SHA-384", sha512 = "SHA-512"

    init(_ identifier: AlgorithmIdentifier, what: String) throws {
        switch identifier.algorithm {
        case OID.sha256: self = .sha256
        case OID.sha384: self = .sha384
        case OID.sha512: self = .sha512
        case OID.sha1: throw CAdESError.algorithm("\(what) is SHA-1, which is not accepted; use SHA-256.")
        default: throw CAdESError.algorithm("\(what) \(identifier.algorithm) is not a digest this platform accepts (SHA-256, SHA-384, SHA-512).")
        }
    }

    var identifier: ASN1ObjectIdentifier {
        switch self {
        case .sha256: OID.sha256
        case .sha384: OID.sha384
        case .sha512: OID.sha512
        }
    }

    func hash<Bytes: DataProtocol>(_ bytes: Bytes) -> [UInt8] {
        switch self {
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        }
    }
}

/// Verifies a SignerInfo's signature over its signed attributes with a certificate's public key.
enum SignatureCheck {
    /// Whether `signature` verifies; throws for an algorithm that is not accepted or does not fit the key.
    static func verify(signature: [UInt8], over message: [UInt8], algorithm: AlgorithmIdentifier, digest: DigestAlgorithm, key: Certificate.PublicKey) throws -> Bool {
        switch algorithm.algorithm {
        case OID.rsaEncryption, OID.sha256WithRSA, OID.sha384WithRSA, OID.sha512WithRSA:
            let hash = try rsaHash(algorithm.algorithm, default: digest)
            guard let rsa = _RSA.Signing.PublicKey(key) else { throw CAdESError.algorithm("The signature algorithm is RSA but the certificate's key is \(key).") }
            return verifyRSA(rsa, signature: signature, message: message, hash: hash, padding: .insecurePKCS1v1_5)
        case OID.rsaPSS:
            let hash = try pssHash(algorithm.parameters)
            guard let rsa = _RSA.Signing.PublicKey(key) else { throw CAdESError.algorithm("The signature algorithm is RSASSA-PSS but the certificate's key is \(key).") }
            return verifyRSA(rsa, signature: signature, message: message, hash: hash, padding: .PSS)
        case OID.ecPublicKey, OID.ecdsaWithSHA256, OID.ecdsaWithSHA384, OID.ecdsaWithSHA512:
            let hash: DigestAlgorithm = switch algorithm.algorithm {
            case OID.ecdsaWithSHA256: .sha256
            case OID.ecdsaWithSHA384: .sha384
            case OID.ecdsaWithSHA512: .sha512
            default: digest
            }
            return try verifyECDSA(key, signature: signature, message: message, hash: hash)
        default:
            throw CAdESError.algorithm("The signature algorithm \(algorithm.algorithm) is not accepted (RSA PKCS#1 v1.5, RSASSA-PSS or ECDSA with SHA-256/384/512).")
        }
    }

    static func rsaHash(_ oid: ASN1ObjectIdentifier, default digest: DigestAlgorithm) throws -> DigestAlgorithm {
        switch oid {
        case OID.sha256WithRSA: .sha256
        case OID.sha384WithRSA: .sha384
        case OID.sha512WithRSA: .sha512
        default: digest
        }
    }

    /// The hash of RSASSA-PSS parameters (RFC 4055 §3.1); MGF1 must use the same hash and the
    /// salt must be as long as the digest.
    static func pssHash(_ parameters: ASN1Node?) throws -> DigestAlgorithm {
        guard let parameters else { throw CAdESError.algorithm("RSASSA-PSS without parameters means SHA-1, which is not accepted.") }
        let members = try BERNodes.children(of: parameters, .sequence, what: "RSASSA-PSS-params")
        var hash: DigestAlgorithm?
        var mgfHash: DigestAlgorithm?
        var salt = 20
        for member in members {
            guard member.identifier.tagClass == .contextSpecific else { throw CAdESError.malformed("RSASSA-PSS-params has an untagged member.") }
            let inner = try BERNodes.children(of: member, member.identifier, what: "RSASSA-PSS-params member")
            guard inner.count == 1 else { throw CAdESError.malformed("An RSASSA-PSS-params member holds \(inner.count) elements.") }
            switch member.identifier.tagNumber {
            case 0: hash = try DigestAlgorithm(AlgorithmIdentifier(inner[0]), what: "The PSS hash")
            case 1:
                let mgf = try AlgorithmIdentifier(inner[0])
                guard mgf.algorithm == OID.mgf1, let p = mgf.parameters else { throw CAdESError.algorithm("The PSS mask generation function \(mgf.algorithm) is not MGF1.") }
                mgfHash = try DigestAlgorithm(AlgorithmIdentifier(p), what: "The MGF1 hash")
            case 2: salt = try BERNodes.integer(inner[0], what: "PSS saltLength")
            case 3: guard try BERNodes.integer(inner[0], what: "PSS trailerField") == 1 else { throw CAdESError.algorithm("The PSS trailer field is not 1.") }
            default: throw CAdESError.malformed("RSASSA-PSS-params has an unknown member [\(member.identifier.tagNumber)].")
            }
        }
        guard let hash else { throw CAdESError.algorithm("The PSS hash is the default SHA-1, which is not accepted.") }
        guard mgfHash == hash else { throw CAdESError.algorithm("MGF1 must use the PSS hash (\(hash.rawValue)).") }
        let expectedSalt = hash.hash([UInt8]()).count
        guard salt == expectedSalt else { throw CAdESError.algorithm("A PSS salt of \(salt) bytes is not accepted; it must be the digest length (\(expectedSalt)).") }
        return hash
    }

    static func verifyRSA(_ key: _RSA.Signing.PublicKey, signature: [UInt8], message: [UInt8], hash: DigestAlgorithm, padding: _RSA.Signing.Padding) -> Bool {
        let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
        switch hash {
        case .sha256: return key.isValidSignature(rsaSignature, for: SHA256.hash(data: message), padding: padding)
        case .sha384: return key.isValidSignature(rsaSignature, for: SHA384.hash(data: message), padding: padding)
        case .sha512: return key.isValidSignature(rsaSignature, for: SHA512.hash(data: message), padding: padding)
        }
    }

    static func verifyECDSA(_ key: Certificate.PublicKey, signature: [UInt8], message: [UInt8], hash: DigestAlgorithm) throws -> Bool {
        func check<D: Digest>(_ digest: D) throws -> Bool {
            if let p256 = P256.Signing.PublicKey(key) {
                guard let s = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
                return p256.isValidSignature(s, for: digest)
            }
            if let p384 = P384.Signing.PublicKey(key) {
                guard let s = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
                return p384.isValidSignature(s, for: digest)
            }
            if let p521 = P521.Signing.PublicKey(key) {
                guard let s = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
                return p521.isValidSignature(s, for: digest)
            }
            throw CAdESError.algorithm("The signature algorithm is ECDSA but the certificate's key is \(key).")
        }
        switch hash {
        case .sha256: return try check(SHA256.hash(data: message))
        case .sha384: return try check(SHA384.hash(data: message))
        case .sha512: return try check(SHA512.hash(data: message))
        }
    }
}
