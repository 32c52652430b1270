package bench

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// checkRooms checks the many-rooms flags (-rooms and what goes with it).
func (c *config) checkRooms() error {
	if c.rooms == 0 {
		switch {
		case c.rawMix != "", c.duration != 0, c.procs != 1, c.rawSources != "", c.child >= 0, c.rawWatch != "":
			return errors.New("-mix, -duration, -procs, -source-addrs, -watch and -child need -rooms")
		}
		return nil
	}
	switch {
	case c.rooms < 0 || c.rooms > 100000:
		return errors.New("-rooms must be from 1 to 100000")
	case c.subs < c.rooms:
		return fmt.Errorf("-rooms %d needs at least as many -subs (%d)", c.rooms, c.subs)
	case c.procs < 1 || c.procs > 256:
		return errors.New("-procs must be from 1 to 256")
	case c.procs > c.subs:
		return errors.New("-procs must not exceed -subs")
	case c.child >= c.procs:
		return fmt.Errorf("-child %d: -procs is %d", c.child, c.procs)
	case c.duration < 0:
		return errors.New("-duration must not be negative")
	case c.duration > 0 && c.rate <= 0:
		return errors.New("-duration needs a -rate")
	case c.catchups > 0:
		return errors.New("-catchups does not combine with -rooms")
	case c.startAfter >= 0:
		return errors.New("-rooms subscribes live only")
	case len(c.room) > 24:
		return fmt.Errorf("-room %q: with -rooms the name is a prefix of at most 24 characters", c.room)
	}
	if c.duration > 0 {
		c.messages = int(math.Round(c.rate * c.duration.Seconds()))
		if c.messages < 1 {
			return errors.New("-rate × -duration is less than one post")
		}
		if c.posters > c.messages {
			c.posters = c.messages
		}
	}
	var err error
	if c.rawMix == "" {
		c.mix = []string{c.transport}
	} else if c.mix, err = parseMix(c.rawMix); err != nil {
		return err
	}
	c.kindNames = nil
	for _, k := range c.mix {
		if !slices.Contains(c.kindNames, k) {
			c.kindNames = append(c.kindNames, k)
		}
	}
	if c.sources, err = parseSourceAddrs(c.rawSources); err != nil {
		return err
	}
	for _, w := range strings.Split(c.rawWatch, ",") {
		if w = strings.TrimSpace(w); w != "" {
			if comm, _, _ := strings.Cut(w, ":"); comm == "" || strings.ContainsAny(comm, "/\n") || len(comm) > 15 {
				return fmt.Errorf("-watch %q: process names are up to 15 characters, no '/'", w)
			}
			c.watch = append(c.watch, w)
		}
	}
	if c.child < 0 && len(c.pids) > 0 && len(c.pids) != len(c.nodes) {
		return fmt.Errorf("-pid: give one process per -url node (%d), in the same order", len(c.nodes))
	}
	_, err = roomSizes(c.roomDist, c.subs, c.rooms, c.roomMin, c.roomMax)
	return err
}

// layout returns the placement of subscribers and posts (-rooms).
func (c *config) layout() *layout {
	sizes, _ := roomSizes(c.roomDist, c.subs, c.rooms, c.roomMin, c.roomMax) // checked by checkRooms
	return newLayout(sizes, len(c.nodes), c.mix, c.seed)
}

// roomName returns the name of room r of a -rooms run.
func (c *config) roomName(r int) string { return c.room + "-" + strconv.Itoa(r) }

func (c *config) kindIndex(kind string) int {
	for i, k := range c.kindNames {
		if k == kind {
			return i
		}
	}
	return -1
}
