package gdgpu

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestScheduleParams: each parameter's Field is the Schedule field Value
// returns, so that a refusal naming it (FieldError) names the parameter;
// its kinds exist; the parameters torch requires (Required) and those a
// run defaults to its length (RunLength) are the ones DefaultSchedule
// leaves zero, and Validate refuses a kind until its required one is
// given; Copy copies one field alone; each has a job-file key of its own.
func TestScheduleParams(t *testing.T) {
	var s Schedule
	v := reflect.ValueOf(&s).Elem()
	required := map[string]int{}
	keys := map[string]string{}
	for _, p := range ScheduleParams() {
		if p.Key == "" || keys[p.Key] != "" {
			t.Errorf("%s: key %q is empty or %s's", p.Field, p.Key, keys[p.Key])
		}
		keys[p.Key] = p.Field
		f := v.FieldByName(p.Field)
		if !f.IsValid() {
			t.Errorf("%s: Schedule has no such field", p.Field)
			continue
		}
		if f.Addr().Interface() != p.Value(&s) {
			t.Errorf("%s: Value returns another field", p.Field)
		}
		for _, k := range p.Kinds {
			if !slices.Contains(ScheduleNames(), k) {
				t.Errorf("%s: kind %q is not a schedule", p.Field, k)
			}
		}
		for _, k := range ScheduleNames() {
			if !p.Required(k) && !p.RunLength(k) {
				continue
			}
			required[k]++
			if !p.AppliesTo(k) {
				t.Errorf("%s: required by %s, which does not read it", p.Field, k)
			}
			d, _ := DefaultSchedule(k)
			if got := p.Show(&d); got != "0" && got != "none" {
				t.Errorf("%s: DefaultSchedule(%s) gives it %s, want it left zero", p.Field, k, got)
			}
			if p.Required(k) {
				if err := d.Validate(100); err == nil || !strings.Contains(err.Error(), "Schedule."+p.Field) {
					t.Errorf("%s: DefaultSchedule(%s).Validate() = %v, want it to name the field", p.Field, k, err)
				}
			}
		}
	}
	for k, n := range required {
		if n != 1 {
			t.Errorf("%s: %d required parameters, want 1", k, n)
		}
	}
	a, b := Schedule{Gamma: 0.5, Milestones: []int{3, 7}}, Schedule{Gamma: 2}
	for _, p := range ScheduleParams() {
		if p.Field == "Milestones" {
			p.Copy(&b, &a)
		}
	}
	if b.Gamma != 2 || !slices.Equal(b.Milestones, a.Milestones) {
		t.Errorf("Copy of Milestones gave %+v", b)
	}
	if a.Milestones[0] = 4; b.Milestones[0] != 3 {
		t.Error("Copy shares the list")
	}
}
