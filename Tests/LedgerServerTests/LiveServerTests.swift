import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import Testing
import TreatmentLedger

@Suite("A live loopback server")
struct LiveServerTests {
  @Test("records over the network from concurrent connections, reads, and refuses without a token")
  func liveServer() async throws {
    let fixture = try ServerFixture("live")
    defer { fixture.close() }
    let app = fixture.server.application()
    try await app.test(.live) { client in
      #expect(client.port != nil)
      try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
        for index in 0..<16 {
          group.addTask {
            try await client.execute(
              uri: "/v1/patients/live-\(index)/events", method: .post,
              headers: fixture.headers("clinician"),
              body: ByteBuffer(
                string: Bodies.record(
                  [Bodies.registration(patient: "live-\(index)")], expected: "\"noStream\""))
            ) { $0.status }
          }
        }
        for try await status in group { #expect(status == .created) }
      }
      try await client.execute(
        uri: "/v1/patients/live-3/timeline", method: .get, headers: fixture.headers("clinician")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["entries"]?.arrayValue?.count == 1)
      }
      try await client.execute(uri: "/v1/log?limit=1000", method: .get) { response in
        #expect(response.status == .unauthorized)
      }
    }
    #expect(try fixture.position() == 17)
    #expect(try fixture.accessRecords(patient: "live-3").count == 1)
  }
}
