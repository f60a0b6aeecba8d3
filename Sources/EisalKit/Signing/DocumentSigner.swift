// Signs invoice documents the way ETA expects (spec/serialization.md "Document hash for signing"):
// the canonical text of the document without `signatures`, CAdES-BES (EisalCAdES.CAdESSigner),
// Base64 in `signatures[]` as `{"signatureType":"I","value":…}`. The document's other members
// are kept byte for byte (key order, number lexemes), so the UUID the platform computes is the
// one the signature covers.
//
// Keys: PEM (certificate + key), PKCS#12 (through swift-nio-ssl's BoringSSL), or any
// `CAdESSigningKey`: a PKCS#11 hardware token plugs in there (out of scope here).

import EisalCAdES
import EisalCore
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Signs invoice documents with a seal certificate and its key.
public struct DocumentSigner: Sendable {
    /// The CAdES signer.
    public let signer: CAdESSigner

    /// A signer from any key (for example one on a hardware token).
    public init(signer: CAdESSigner) {
        self.signer = signer
    }

    /// A signer from PEM text: the certificate (the first `CERTIFICATE` in `certificatePEM`;
    /// further ones are included as the chain), and the unencrypted private key.
    public init(certificatePEM: String, keyPEM: String, pss: Bool = false) throws {
        let certificates = try PEMDocument.parseMultiple(pemString: certificatePEM).filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(derEncoded: $0.derBytes) }
        guard let leaf = certificates.first else { throw DocumentSignerError("The certificate file holds no PEM CERTIFICATE.") }
        signer = try CAdESSigner(certificate: leaf, chain: Array(certificates.dropFirst()), key: try SoftwareSigningKey(pem: keyPEM, pss: pss))
    }

    /// A signer from a PKCS#12 (`.p12`/`.pfx`) file's bytes.
    public init(pkcs12: [UInt8], passphrase: String, pss: Bool = false) throws {
        let bundle: NIOSSLPKCS12Bundle
        do { bundle = try NIOSSLPKCS12Bundle(buffer: pkcs12, passphrase: Array(passphrase.utf8)) } catch {
            throw DocumentSignerError("The PKCS#12 file cannot be opened (wrong passphrase, or not PKCS#12): \(error).")
        }
        let certificates = try bundle.certificateChain.map { try Certificate(derEncoded: try $0.toDERBytes()) }
        let key = try SoftwareSigningKey(der: try bundle.privateKey.derBytes, pss: pss)
        // The bundle's order is not guaranteed: the leaf is the certificate of the key.
        guard let leaf = certificates.first(where: { $0.publicKey == key.publicKey }) else { throw DocumentSignerError("No certificate in the PKCS#12 file belongs to its key.") }
        signer = try CAdESSigner(certificate: leaf, chain: certificates.filter { $0 != leaf }, key: key)
    }

    /// The Base64 CAdES-BES of `document` (its canonical text without `signatures`).
    public func signature(for document: JSONNode, signingTime: Date = Date()) throws -> String {
        try signer.signBase64(Array(DocumentUUID.canonicalText(document).utf8), signingTime: signingTime)
    }

    /// `document` (JSON text of one document) with the issuer's signature in `signatures`: an
    /// existing `I` entry is replaced, other entries (a service provider's `S`) are kept.
    public func sign(document text: [UInt8], signingTime: Date = Date()) throws -> [UInt8] {
        let root = try JSONParser().parse(text).root
        guard root.kind == .object else { throw DocumentSignerError("A document is a JSON object.") }
        return Self.withSignature(root, value: try signature(for: root, signingTime: signingTime))
    }

    /// A submission body (`{"documents":[…]}`) with every document signed.
    public func sign(submission text: [UInt8], signingTime: Date = Date()) throws -> [UInt8] {
        let root = try JSONParser().parse(text).root
        guard let documents = root["documents"], documents.kind == .array else { throw DocumentSignerError("A submission is {\"documents\": [...]}.") }
        var out = Array(#"{"documents":["#.utf8)
        for (k, document) in documents.elements.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out += Self.withSignature(document, value: try signature(for: document, signingTime: signingTime))
        }
        out += Array("]}".utf8)
        return out
    }

    /// The document's members as sent, then `signatures` with `value` as its `I` entry.
    static func withSignature(_ document: JSONNode, value: String) -> [UInt8] {
        let writer = JSONWriter()
        var out: [UInt8] = [UInt8(ascii: "{")]
        var kept: [JSONNode] = []
        for (key, member) in document.members {
            if key == "signatures" {
                kept = member.elements.filter { $0["signatureType"]?.string != "I" }
                continue
            }
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out += writer.bytes(.string(key)) + [UInt8(ascii: ":")] + member.rawBytes
        }
        if out.count > 1 { out.append(UInt8(ascii: ",")) }
        out += Array(#""signatures":[{"signatureType":"I","value":"#.utf8) + writer.bytes(.string(value)) + [UInt8(ascii: "}")]
        for entry in kept { out += [UInt8(ascii: ",")] + entry.rawBytes }
        out += Array("]}".utf8)
        return out
    }
}

/// Why a document could not be signed.
public struct DocumentSignerError: Error, CustomStringConvertible {
    /// What went wrong, in words.
    public let description: String
    init(_ description: String) { self.description = description }
}
