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
            if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared <= limit { body.reserveCapacity(declared) }
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= limit else {
                    throw IntakeService<Store>.tooLarge(bytes: limit + 1, configuration)
                }
                chunk.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            }
            let result = try await intake.submit(body: body, principal: principal)
            context.logger.info("receipt submission", metadata: [
                "submission": "\(result.submissionUUID ?? "-")", "accepted": "\(result.accepted.count)", "rejected": "\(result.rejected.count)",
            ])
            var members: [(String, JSONValue)] = [("submissionUUID", result.submissionUUID.map { .string($0) } ?? .null)]
            if configuration.emitSubmissionIdAlias { members.append(("submissionId", result.submissionUUID.map { .string($0) } ?? .null)) }
            // Built directly: the generic encoder cost more than hashing the receipts.
            members.append(("acceptedDocuments", .array(result.accepted.map { .object([("uuid", .string($0.uuid)), ("longId", .string($0.longId)), ("receiptNumber", .string($0.receiptNumber))]) })))
            members.append(("rejectedDocuments", try JSONValueEncoder().encode(result.rejected)))
            return try Response.json(.object(members), status: .accepted)
        }
    }
}
