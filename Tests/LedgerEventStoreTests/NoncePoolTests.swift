import Foundation
import Testing

@testable import LedgerEventStore

@Suite struct NoncePoolTests {
  @Test func noncesAreNeverRepeatedAcrossRefills() {
    // 2,000 nonces of 12 bytes take the 4 KiB buffer through five refills.
    var seen = Set<[UInt8]>()
    for _ in 0..<2_000 {
      let nonce = NoncePool.shared.nonceBytes()
      #expect(nonce.count == 12)
      seen.insert(nonce)
    }
    #expect(seen.count == 2_000)
    // Not a constant or a counter: the bytes of one nonce are not all alike.
    #expect(seen.contains { Set($0).count > 1 })
  }
}
