# Thin aliases: tasks.py does the work and needs only python3.
.PHONY: run test
run:
	python3 tasks.py run
test:
	python3 tasks.py test
