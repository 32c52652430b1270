package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/storetest"
)

func TestConversationContract(t *testing.T) {
	storetest.RunConversation(t, func(t *testing.T) storetest.ConversationStore {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestReadPositionsContract(t *testing.T) {
	storetest.RunReadPositions(t, func(t *testing.T) storetest.ReadPositionStore {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}
