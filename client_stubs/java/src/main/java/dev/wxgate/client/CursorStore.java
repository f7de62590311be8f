package dev.wxgate.client;

import java.util.OptionalLong;

/**
 * Keeps the cursor of the last event an {@link EventSubscriber} handled, so that a
 * new process resumes where the last one stopped (a file, Redis, a database row).
 * Cursors are unsigned 64-bit values held in a long.
 */
public interface CursorStore {
  /** The saved cursor, empty when none was saved yet. */
  OptionalLong load() throws Exception;

  void save(long cursor) throws Exception;

  /** A store for the life of the process. */
  static CursorStore inMemory() {
    return new CursorStore() {
      private volatile OptionalLong cursor = OptionalLong.empty();

      @Override
      public OptionalLong load() {
        return cursor;
      }

      @Override
      public void save(long value) {
        cursor = OptionalLong.of(value);
      }
    };
  }
}
