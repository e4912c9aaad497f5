import NIOCore

extension MediaLoop {
    /// A task `scheduleTask` set for a deadline.
    ///
    /// `@unchecked Sendable`: made on any thread, then handed to the loop, which alone reads and
    /// writes `cancelled` and runs or fails the task.
    final class Timer: @unchecked Sendable {
        let deadline: NIODeadline
        /// Set at insertion: timers due at one deadline run in the order they were scheduled.
        fileprivate(set) var order: UInt64 = 0
        fileprivate(set) var cancelled = false
        let run: () -> Void
        /// Fails the task's promise (the loop shut down before it was due).
        let fail: (any Error) -> Void

        init(deadline: NIODeadline, run: @escaping () -> Void, fail: @escaping (any Error) -> Void) {
            self.deadline = deadline
            self.run = run
            self.fail = fail
        }

        /// Whether `self` runs before `other`.
        fileprivate func precedes(_ other: Timer) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && order < other.order)
        }
    }

    /// The loop's timers, earliest first (a binary heap). A cancelled timer stays in the heap
    /// until it is due or until cancelled ones make up half of it, when the heap is rebuilt.
    struct TimerHeap {
        private var heap: [Timer] = []
        private var inserted: UInt64 = 0
        private var cancelledInHeap = 0

        /// When the earliest timer is due (a cancelled one may wake the loop for nothing).
        var next: NIODeadline? { heap.first?.deadline }

        /// Timers waiting, cancelled ones included.
        var count: Int { heap.count }

        mutating func insert(_ timer: Timer) {
            inserted &+= 1
            timer.order = inserted
            heap.append(timer)
            siftUp(heap.count - 1)
        }

        mutating func cancel(_ timer: Timer) {
            guard !timer.cancelled else { return }
            timer.cancelled = true
            cancelledInHeap += 1
            if cancelledInHeap > 64, cancelledInHeap * 2 > heap.count {
                heap.removeAll { $0.cancelled }
                cancelledInHeap = 0
                for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
            }
        }

        /// The earliest timer not cancelled if it is due at `now`, taken out of the heap; the loop
        /// runs it with the heap released (a timer schedules others).
        mutating func popDue(now: NIODeadline) -> Timer? {
            while let first = heap.first, first.deadline <= now {
                let timer = removeFirst()
                if timer.cancelled {
                    cancelledInHeap -= 1
                    continue
                }
                timer.cancelled = true
                return timer
            }
            return nil
        }

        /// Takes every timer not cancelled out of the heap: the loop shuts down and fails them.
        mutating func removeAll() -> [Timer] {
            defer {
                heap = []
                cancelledInHeap = 0
            }
            return heap.filter { !$0.cancelled }
        }

        private mutating func removeFirst() -> Timer {
            let first = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                siftDown(0)
            }
            return first
        }

        private mutating func siftUp(_ start: Int) {
            var child = start
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].precedes(heap[parent]) else { return }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        private mutating func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                var earliest = left
                if left + 1 < heap.count, heap[left + 1].precedes(heap[left]) { earliest = left + 1 }
                guard heap[earliest].precedes(heap[parent]) else { return }
                heap.swapAt(parent, earliest)
                parent = earliest
            }
        }
    }
}
