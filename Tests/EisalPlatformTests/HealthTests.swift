import EisalPlatform
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Platform HTTP")
struct HealthTests {
    @Test func healthAndMetricsAnswerOnALiveServer() async throws {
        try await Harness().run { client, _ in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(String(buffer: health.body).contains("\"status\":\"Healthy\""))
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
            let missing = try await client.execute(uri: "/api/v1/nothing", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.json["error"]?["code"]?.string == "NotFound")
        }
    }
}
