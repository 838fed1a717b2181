/// Maps inputs in parallel and hands the outputs back in input order, holding at most `window`
/// inputs and outputs at a time: the pipeline of the audit exporter and the audit verifier.
///
/// - `next` produces the inputs one at a time, on the calling task: it may read the store in a
///   short LMDB read transaction that spans no `await` (LMDB ties a transaction to its thread),
///   or await another source (the central copy). It returns nil after the last input.
/// - `transform` runs in the child tasks of a task group, several at once.
/// - `consume` receives each output in the order `next` produced the inputs, on the calling task.
///
/// A new input is only read while fewer than `window` inputs are in flight or waiting for their
/// turn, so however many inputs there are, memory holds at most `window` of them and of their
/// outputs. The first error of `next` or `consume` ends the map: the transforms still running are
/// cancelled and awaited, and the error is thrown.
///
/// ```swift
/// try await orderedParallelMap(
///   window: 8, next: { reader.nextBatch() }, transform: { encode($0) }, consume: { write($0) })
/// ```
package func orderedParallelMap<Input: Sendable, Output: Sendable, Failure: Error>(
  window: Int,
  next: () async throws(Failure) -> Input?,
  transform: @escaping @Sendable (Input) -> Output,
  consume: (Output) throws(Failure) -> Void
) async throws(Failure) {
  let window = max(1, window)
  let failure = await withTaskGroup(of: (Int, Output).self, returning: Failure?.self) { group in
    var produced = 0
    var delivered = 0
    var exhausted = false
    // Outputs that finished before the one whose turn it is.
    var waiting: [Int: Output] = [:]
    do throws(Failure) {
      while true {
        while !exhausted && produced - delivered < window {
          guard let input = try await next() else {
            exhausted = true
            break
          }
          let index = produced
          group.addTask { (index, transform(input)) }
          produced += 1
        }
        guard delivered < produced else { return nil }
        // The task of input `delivered` is in the group until its output is waiting.
        while waiting[delivered] == nil, let (index, output) = await group.next() {
          waiting[index] = output
        }
        guard let output = waiting.removeValue(forKey: delivered) else { return nil }
        delivered += 1
        try consume(output)
      }
    } catch {
      group.cancelAll()
      return error
    }
  }
  if let failure { throw failure }
}
