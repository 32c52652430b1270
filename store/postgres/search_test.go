package postgres_test

import (
	"testing"

	"github.com/parley-chat/parley/storetest"
)

func TestSearchContract(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) storetest.SearchStore {
		return open(t, tempDB(t))
	})
}

func TestRetentionContract(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) storetest.RetentionStore {
		return open(t, tempDB(t))
	})
}

func TestDeleteContract(t *testing.T) {
	storetest.RunDelete(t, func(t *testing.T) storetest.RetentionStore {
		return open(t, tempDB(t))
	})
}
