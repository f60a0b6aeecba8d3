import EisalCore
import EisalStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST {path}` of one family's submissions (receipts: `/api/v1/receiptsubmissions`, also
/// under `/api/v1.0/`).
struct SubmissionRoutes<Store: SubmissionStore & RegistryStore, Family: PlatformFamily> {
    let intake: IntakeService<Store, Family>
    /// The route under the API prefix (`receiptsubmissions`).
    let path: String
    let configuration: PlatformConfiguration

    func register(on group: RouterGroup<EisalRequestContext>) {
        group.post(RouterPath(path)) { request, context -> Response in
            let principal = try context.requirePrincipal()
            try Self.requireJSON(request.headers, family: intake.family.family)
            // Read straight into one array sized by Content-Length (collecting into a growing
            // buffer and copying it out moved each submission three times).
            var body: [UInt8] = []
            let limit = configuration.maximumSubmissionBytes
            let declared = request.headers[.contentLength].flatMap { Int($0) }
            if let declared, declared <= limit { body.reserveCapacity(declared) }
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= limit else {
                    // The declared length when there is one; a chunked body is only known to be larger.
                    throw IntakeService<Store, Family>.tooLarge(bytes: declared.flatMap { $0 > limit ? $0 : nil }, configuration)
                }
                chunk.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            }
            let result = try await intake.submit(body: body, principal: principal)
            context.logger.info("\(intake.family.family.name) submission", metadata: [
                "submission": "\(result.submissionUUID ?? "-")", "accepted": "\(result.accepted.count)", "rejected": "\(result.rejected.count)",
            ])
            return Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try Self.responseBody(result, family: intake.family.family, submissionIdAlias: configuration.emitSubmissionIdAlias))))
        }
    }

    /// Submissions are UTF-8 JSON, sent as is: `Content-Type: application/json` (any case, an optional
    /// `charset=utf-8`) and no `Content-Encoding` but `identity`; anything else is 415 before the
    /// body is read. Documents may be XML in the real contract; Eisal says it does not take XML yet.
    static func requireJSON(_ headers: HTTPFields, family: DocumentFamily = .receipt) throws {
        let parts = (headers[.contentType] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let charset = parts.dropFirst().first { $0.hasPrefix("charset=") }.map { $0.dropFirst(8).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        if !family.claimsUUID, let type = parts.first, type.hasSuffix("/xml") || type.hasSuffix("+xml") {
            throw PlatformError(.unsupportedMediaType, code: .unsupportedMediaType,
                                message: "XML document submissions are not supported by Eisal yet: submit the documents as JSON ('Content-Type: application/json').", target: "Content-Type")
        }
        guard parts.first == "application/json", charset == nil || charset == "utf-8" || charset == "utf8" else {
            let noun = family.claimsUUID ? "Receipt" : "Document"
            throw PlatformError(.unsupportedMediaType, code: .unsupportedMediaType, message: "\(noun) submissions are UTF-8 JSON only: send 'Content-Type: application/json'.", target: "Content-Type")
        }
        if let encoding = headers[.contentEncoding], encoding.lowercased().trimmingCharacters(in: .whitespaces) != "identity" {
            throw PlatformError(.unsupportedMediaType, code: .unsupportedMediaType, message: "Content-Encoding '\(encoding)' is not accepted: send the JSON uncompressed.", target: "Content-Encoding")
        }
    }

    /// The 202 body, written straight to bytes (a value tree cost more than hashing the
    /// receipts): `submissionUUID`, the optional `submissionId` alias, `acceptedDocuments`
    /// (`uuid`, `longId`, the family's number key), `rejectedDocuments`; compact, as
    /// ``JSONWriter`` writes. For receipts it equals ``ReceiptSubmissionResponse``'s encoding
    /// byte for byte (SubmissionResponseTests). Documents (spec/documents-api.md stand-in
    /// decision): `submissionId` first (what Odoo, ERPNext and the .NET client read), the alias
    /// `submissionUUID`; rejected documents carry `internalId` and `error` (no UUID is claimed).
    static func responseBody(_ result: IntakeResult, family: DocumentFamily, submissionIdAlias: Bool) throws -> [UInt8] {
        let numberKey = family.numberKey
        let (primary, alias) = family.claimsUUID ? ("submissionUUID", "submissionId") : ("submissionId", "submissionUUID")
        var out: [UInt8] = []
        out.reserveCapacity(64 + result.accepted.count * 160)
        func string(_ text: String) {
            out.append(UInt8(ascii: "\""))
            JSONEscapes.appendMinimallyEscaped(text.utf8, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        func submission() {
            if let uuid = result.submissionUUID { string(uuid) } else { out += Array("null".utf8) }
        }
        out += Array("{\"\(primary)\":".utf8)
        submission()
        if submissionIdAlias {
            out += Array(",\"\(alias)\":".utf8)
            submission()
        }
        out += Array(#","acceptedDocuments":["#.utf8)
        for (k, document) in result.accepted.enumerated() {
            out += Array((k == 0 ? #"{"uuid":"# : #",{"uuid":"#).utf8)
            string(document.uuid)
            out += Array(#","longId":"#.utf8)
            string(document.longId)
            out.append(UInt8(ascii: ","))
            string(numberKey)
            out.append(UInt8(ascii: ":"))
            string(document.receiptNumber)
            out.append(UInt8(ascii: "}"))
        }
        out += Array(#"],"rejectedDocuments":["#.utf8)
        for (k, document) in result.rejected.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
            string(numberKey)
            out += Array(#":"#.utf8)
            string(document.receiptNumber)
            if family.claimsUUID {
                out += Array(#","uuid":"#.utf8)
                string(document.uuid)
            }
            out += Array(#","error":"#.utf8)
            out += JSONWriter().bytes(try JSONValueEncoder().encode(document.error))
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        return out
    }
}
