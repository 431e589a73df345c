# The student's side of an nbgrader exchange (used by `make lab EXCHANGE=/path`): the
# Assignment List fetches released assignments of the course "mlcourse" from the exchange
# folder the instructor released them to, and submits back into it.
import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

c.CourseDirectory.course_id = "mlcourse"
c.Exchange.root = os.environ["MLCOURSE_EXCHANGE"]
