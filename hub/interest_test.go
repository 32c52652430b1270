package hub_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/parley-chat/parley/hub"
)

// interestLog records Follow and Unfollow calls.
type interestLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *interestLog) Follow(topics []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range topics {
		l.calls = append(l.calls, "+"+t)
	}
}

func (l *interestLog) Unfollow(topics []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range topics {
		l.calls = append(l.calls, "-"+t)
	}
}

func (l *interestLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// Subscribe follows its topics before it returns; Cancel unfollows them
// once, however often it is called.
func TestInterestFollowsSubscriptions(t *testing.T) {
	log := &interestLog{}
	h := hub.New(hub.WithPartitions(2), hub.WithInterest(log))
	defer h.Close()
	sub := h.Subscribe(newRecorder(), []string{"lobby", "@ada"})
	if got, want := log.get(), []string{"+lobby", "+@ada"}; !slices.Equal(got, want) {
		t.Fatalf("after Subscribe: %v, want %v", got, want)
	}
	sub.Cancel()
	sub.Cancel()
	if got, want := log.get(), []string{"+lobby", "+@ada", "-lobby", "-@ada"}; !slices.Equal(got, want) {
		t.Fatalf("after Cancel: %v, want %v", got, want)
	}
	h.Close()
	h.Subscribe(newRecorder(), []string{"late"}).Cancel()
	if got := log.get(); got[len(got)-1] != "-late" || len(got) != 6 {
		t.Fatalf("a subscribe after Close must unfollow at once, once: %v", got)
	}
}
