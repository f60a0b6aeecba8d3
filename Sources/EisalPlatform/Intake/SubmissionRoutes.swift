import EisalCore
import EisalStore
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/v1/receiptsubmissions` (also under `/api/v1.0/`).
struct SubmissionRoutes<Store: SubmissionStore & RegistryStore> {
    let intake: IntakeService<Store>
    let tokens: TokenService
    let configuration: PlatformConfiguration

    func register(on group: RouterGroup<EisalRequestContext>) {
        group.post("receiptsubmissions") { request, context -> Response in
            let principal = try request.principal(tokens)
            let contentType = request.headers[.contentType]?.lowercased() ?? ""
            guard contentType.hasPrefix("application/json") else {
                throw PlatformError(.unsupportedMediaType, code: "UnsupportedMediaType", message: "Receipt submissions are JSON only: send 'Content-Type: application/json'.", target: "Content-Type")
            }
            // Read straight into one array sized by Content-Length (collecting into a growing
            // buffer and copying it out moved each submission three times).
            var body: [UInt8] = []
            let limit = configuration.maximumSubmissionBytes
            let declared = request.headers[.contentLength].flatMap { Int($0) }
            if let declared, declared <= limit { body.reserveCapacity(declared) }
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= limit else {
                    // The declared length when there is one; a chunked body is only known to be larger.
                    throw IntakeService<Store>.tooLarge(bytes: declared.flatMap { $0 > limit ? $0 : nil }, configuration)
                }
                chunk.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            }
            let result = try await intake.submit(body: body, principal: principal)
            context.logger.info("receipt submission", metadata: [
                "submission": "\(result.submissionUUID ?? "-")", "accepted": "\(result.accepted.count)", "rejected": "\(result.rejected.count)",
            ])
            return Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try Self.responseBody(result, submissionIdAlias: configuration.emitSubmissionIdAlias))))
        }
    }

    /// The 202 body, written straight to bytes (a value tree cost more than hashing the
    /// receipts): `submissionUUID`, the optional `submissionId` alias, `acceptedDocuments`
    /// (`uuid`, `longId`, `receiptNumber`), `rejectedDocuments`; compact, as ``JSONWriter`` writes.
    static func responseBody(_ result: IntakeResult, submissionIdAlias: Bool) throws -> [UInt8] {
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
        out += Array(#"{"submissionUUID":"#.utf8)
        submission()
        if submissionIdAlias {
            out += Array(#","submissionId":"#.utf8)
            submission()
        }
        out += Array(#","acceptedDocuments":["#.utf8)
        for (k, document) in result.accepted.enumerated() {
            out += Array((k == 0 ? #"{"uuid":"# : #",{"uuid":"#).utf8)
            string(document.uuid)
            out += Array(#","longId":"#.utf8)
            string(document.longId)
            out += Array(#","receiptNumber":"#.utf8)
            string(document.receiptNumber)
            out.append(UInt8(ascii: "}"))
        }
        out += Array(#"],"rejectedDocuments":"#.utf8)
        out += JSONWriter().bytes(try JSONValueEncoder().encode(result.rejected))
        out.append(UInt8(ascii: "}"))
        return out
    }
}
