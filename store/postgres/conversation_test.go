package postgres_test

import (
	"testing"

	"github.com/parley-chat/parley/storetest"
)

func TestConversationContract(t *testing.T) {
	storetest.RunConversation(t, func(t *testing.T) storetest.ConversationStore {
		return open(t, tempDB(t))
	})
}

func TestReadPositionsContract(t *testing.T) {
	storetest.RunReadPositions(t, func(t *testing.T) storetest.ReadPositionStore {
		return open(t, tempDB(t))
	})
}
