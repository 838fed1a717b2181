import Foundation
import LedgerFoundation
import Testing

struct UUIDTextTests {
  /// Law: the fast form is Foundation's text in lower case, for any UUID.
  @Test func lowercasedStringIsFoundationsTextInLowerCase() {
    #expect(
      UUID(uuidString: "0AC3B8B0-3C2E-4F0B-9A53-6B2D2C1D0E11")?.lowercasedString
        == "0ac3b8b0-3c2e-4f0b-9a53-6b2d2c1d0e11")
    let edges =
      [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))] + [
        UUID(
          uuid: (
            255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255
          ))
      ]
    for id in edges + (0..<2_000).map({ _ in UUID() }) {
      #expect(id.lowercasedString == id.uuidString.lowercased())
    }
  }
}
